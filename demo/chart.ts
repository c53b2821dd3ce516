// Per-layer GPU time as a hand-drawn SVG column chart: one column per dispatch in execution
// order, coloured by op family, each with a <title> tooltip. No chart library: the page stays small.
import type { LayerTime } from '../src/index.ts';

const SVG = 'http://www.w3.org/2000/svg';

const FAMILY_COLOURS: [RegExp, string, string][] = [
  [/DEPTHWISE/i, 'var(--c-depthwise)', 'depthwise conv'],
  [/CONV/i, 'var(--c-conv)', 'conv'],
  [/FULLY|MATMUL/i, 'var(--c-fc)', 'fully connected'],
  [/.*/, 'var(--c-other)', 'other'],
];

function family(label: string): { colour: string; name: string } {
  const [, colour, name] = FAMILY_COLOURS.find(([re]) => re.test(label))!;
  return { colour, name };
}

export function formatMs(ms: number): string {
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

export function layerChart(times: LayerTime[]): SVGSVGElement {
  const width = 600;
  const height = 160;
  const top = 8;
  const bottom = 18;
  const left = 44;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  svg.classList.add('layer-chart');
  const maxMs = Math.max(...times.map((t) => t.ns / 1e6), 1e-6);
  const plotW = width - left - 4;
  const plotH = height - top - bottom;
  const step = plotW / Math.max(times.length, 1);
  const totalMs = times.reduce((s, t) => s + t.ns / 1e6, 0);
  svg.setAttribute('aria-label', `GPU time per layer, ${times.length} layers, ${formatMs(totalMs)} in total`);

  const text = (x: number, y: number, content: string, anchor: string): void => {
    const t = document.createElementNS(SVG, 'text');
    t.setAttribute('x', String(x));
    t.setAttribute('y', String(y));
    t.setAttribute('text-anchor', anchor);
    t.textContent = content;
    svg.append(t);
  };
  const line = (x1: number, y1: number, x2: number, y2: number): void => {
    const l = document.createElementNS(SVG, 'line');
    l.setAttribute('x1', String(x1));
    l.setAttribute('y1', String(y1));
    l.setAttribute('x2', String(x2));
    l.setAttribute('y2', String(y2));
    l.classList.add('axis');
    svg.append(l);
  };

  line(left, top, left, top + plotH);
  line(left, top + plotH, width - 4, top + plotH);
  text(left - 4, top + 8, formatMs(maxMs), 'end');
  text(left - 4, top + plotH, '0', 'end');
  text(left, height - 4, 'first layer', 'start');
  text(width - 4, height - 4, `layer ${times.length}`, 'end');

  times.forEach((t, i) => {
    const ms = t.ns / 1e6;
    const h = Math.max((ms / maxMs) * plotH, 0.5);
    const { colour, name } = family(t.label);
    const rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('x', (left + i * step + step * 0.1).toFixed(2));
    rect.setAttribute('y', (top + plotH - h).toFixed(2));
    rect.setAttribute('width', Math.max(step * 0.8, 0.5).toFixed(2));
    rect.setAttribute('height', h.toFixed(2));
    rect.setAttribute('fill', colour);
    const title = document.createElementNS(SVG, 'title');
    title.textContent = `${i + 1}. ${t.label} (${name}): ${formatMs(ms)}`;
    rect.append(title);
    svg.append(rect);
  });
  return svg;
}

/** The legend for the colours the chart uses. */
export function chartLegend(): HTMLElement {
  const ul = document.createElement('ul');
  ul.className = 'legend';
  for (const [, colour, name] of FAMILY_COLOURS) {
    const li = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = colour;
    li.append(swatch, name);
    ul.append(li);
  }
  return ul;
}
