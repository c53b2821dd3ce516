// The benchmark report: one JSON document (every sample), a markdown table and an SVG chart.
import type { CapabilityReport } from '../src/gpu/capabilities.ts';
import type { GemmTile } from '../src/kernels/gemm.ts';
import { describeTile } from '../src/kernels/gemm.ts';
import type { ConvResult, GemmResult, TuneResult } from './kernels.ts';
import { ENGINES, type EngineId, type ModelResult } from './models.ts';

export interface BenchReport {
  schema: 'octet-bench/1';
  date: string;
  mode: 'quick' | 'full';
  node: string;
  adapter: { name: string; route: string; software: boolean; dot4I8Packed: boolean; timestampQuery: boolean; subgroups: boolean; shaderF16: boolean };
  capabilities: CapabilityReport;
  tiles: { int8: GemmTile; f32: GemmTile; tuning: TuneResult[] };
  gemm: GemmResult[];
  convs: ConvResult[];
  models: ModelResult[];
  totalSeconds: number;
  notes: string[];
}

const f = (v: number | undefined, digits = 2) => (v === undefined || !Number.isFinite(v) ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(digits));

export function markdown(r: BenchReport): string {
  const out: string[] = [];
  const a = r.adapter;
  out.push(`# Octet benchmark (${r.mode})`, '');
  out.push(`- Adapter: **${a.name}** via ${a.route}${a.software ? ' (software)' : ''}; dot4I8Packed ${a.dot4I8Packed ? 'yes' : 'no'}, timestamp-query ${a.timestampQuery ? 'yes' : 'no'}, subgroups ${a.subgroups ? 'yes' : 'no'}`);
  out.push(`- ${r.node}, ${r.date}, total ${r.totalSeconds.toFixed(0)} s`);
  out.push(`- Chosen GEMM tiles: int8 **${describeTile(r.tiles.int8)}**; f32 **${describeTile(r.tiles.f32)}**`);
  for (const n of r.notes) out.push(`- ${n}`);
  out.push('');

  if (r.tiles.tuning.length) {
    out.push('## Tile tuning (GEMM, median GPU ms)', '', '| precision | size | candidate | ms | GOPS | |', '|---|---|---|---|---|---|');
    for (const t of r.tiles.tuning) {
      for (const c of t.candidates) {
        const chosen = describeTile(c.tile) === describeTile(t.chosen) ? '**chosen**' : c.error ?? '';
        out.push(`| ${t.kind} | ${t.size}³ | ${c.label} | ${f(c.ms)} | ${f(c.gops)} | ${chosen} |`);
      }
    }
    out.push('');
  }

  if (r.gemm.length) {
    out.push('## GEMM (M=N=K), median ms per dispatch', '', '| size | kernel | tile | ms (median) | ms (p90) | GOPS | f32 ms / this ms | timing | check vs CPU |', '|---|---|---|---|---|---|---|---|---|');
    for (const g of r.gemm) {
      const f32 = r.gemm.find((x) => x.size === g.size && x.kind === 'f32');
      const ratio = f32 ? f32.ms.median / g.ms.median : undefined;
      out.push(`| ${g.size} | ${g.kind} | ${g.tile} | ${f(g.ms.median)} | ${f(g.ms.p90)} | ${f(g.gops)} | ${f(ratio)}× | ${g.method} | ${g.mismatches === 0 ? `ok (${g.checked} entries)` : `**WRONG ${g.mismatches}/${g.checked}**`} |`);
    }
    out.push('');
  }

  if (r.convs.length) {
    out.push(
      '## Convolutions (real lowerings, one op), median ms',
      '',
      '| layer | shape | MMAC | int8 ms | int8 GOPS | int8 fallback ms | f32 ms | f32 GOPS | f32/int8 | tuned GEMM ms (1×1) | GEMM vs conv2d | timing |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
    );
    const notes: string[] = [];
    for (const c of r.convs) {
      if (c.error && !c.int8) {
        out.push(`| ${c.name} | ${c.shape} | ${f(c.macs / 1e6)} | error: ${c.error} | | | | | | | | |`);
        continue;
      }
      const gemm = c.gemm ? `${f(c.gemm.ms.median)}${c.gemm.identical ? '' : ' **MISMATCH**'}` : '–';
      const speed = c.gemm ? `${f(c.gemm.speedupOverConv)}× faster` : '–';
      out.push(
        `| ${c.name} | ${c.shape} | ${f(c.macs / 1e6)} | ${f(c.int8?.ms.median)} | ${f(c.int8?.gops)} | ${f(c.int8Fallback?.ms.median)} | ${f(c.f32?.ms.median)} | ${f(c.f32?.gops)} | ${f(c.ratio)}× | ${gemm} | ${speed} | ${c.int8?.method ?? ''} |`,
      );
      if (c.error) notes.push(`${c.name}: ${c.error}`);
    }
    if (notes.length) out.push('', ...notes.map((n) => `- not measured: ${n}`));
    out.push('');
  }

  if (r.models.length) {
    out.push(
      '## Models, batch 1 (wall ms per inference incl. upload + readback)',
      '',
      '| model | MMAC | engine | first run ms (incl. compile) | median ms | p90 ms | runs | GPU ms (per dispatch) | vs Octet int8 | note |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const m of r.models) {
      const base = m.engines.find((e) => e.engine === 'octet-int8')?.latency?.median;
      for (const e of m.engines) {
        const label = ENGINES.find((x) => x.id === e.engine)?.label ?? e.engine;
        if (e.error) {
          out.push(`| ${m.label} | ${f((m.macs ?? 0) / 1e6)} | ${label} | not measured: ${e.error.replace(/\|/g, '/')} | | | | | | |`);
          continue;
        }
        const ratio = base && e.latency ? e.latency.median / base : undefined;
        const rel = ratio === undefined ? '–' : `${ratio < 0.1 ? ratio.toPrecision(2) : f(ratio)}×`;
        out.push(`| ${m.label} | ${f((m.macs ?? 0) / 1e6)} | ${label} | ${f(e.firstMs)} | ${f(e.latency?.median)} | ${f(e.latency?.p90)} | ${e.runs ?? ''} | ${f(e.gpuMs)} | ${rel} | ${(e.note ?? '').replace(/\|/g, '/')} |`);
      }
    }
    out.push('', '"vs Octet int8" is this engine\'s median / Octet int8 median (above 1 = slower than Octet int8). TFLite runs on the CPU, everything else on the adapter above.');
  }
  return out.join('\n') + '\n';
}

const COLORS: Record<EngineId, string> = {
  'octet-int8': '#1b7837',
  'octet-int8-gpu-io': '#5aae61',
  'octet-f32': '#7fbf7b',
  'tflite-wasm': '#762a83',
  'tfjs-webgpu': '#e08214',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Grouped horizontal bars: median latency per model and engine (log scale), plus GEMM GOPS. */
export function svg(r: BenchReport): string {
  const W = 900;
  const left = 260;
  const barH = 14;
  const rows: string[] = [];
  let y = 60;
  const all = r.models.flatMap((m) => m.engines.map((e) => e.latency?.median).filter((v): v is number => v !== undefined));
  const max = Math.max(1, ...all);
  const min = Math.max(0.01, Math.min(max, ...all) / 2);
  const scale = (v: number) => ((Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min) || 1)) * (W - left - 120);
  rows.push(`<text x="10" y="24" font-size="16" font-weight="bold">Octet benchmark: batch-1 median latency, ms (log scale)</text>`);
  rows.push(`<text x="10" y="44" font-size="12">${esc(r.adapter.name)} via ${esc(r.adapter.route)}; int8 tile ${esc(describeTile(r.tiles.int8))}</text>`);
  for (const m of r.models) {
    rows.push(`<text x="10" y="${y + barH}" font-size="13" font-weight="bold">${esc(m.label)}</text>`);
    y += barH + 8;
    for (const e of m.engines) {
      const label = ENGINES.find((x) => x.id === e.engine)?.label ?? e.engine;
      rows.push(`<text x="20" y="${y + barH - 3}" font-size="11">${esc(label)}</text>`);
      if (e.latency) {
        const w = Math.max(2, scale(e.latency.median));
        rows.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[e.engine]}"/>`);
        rows.push(`<text x="${left + w + 6}" y="${y + barH - 3}" font-size="11">${f(e.latency.median)} ms</text>`);
      } else {
        rows.push(`<text x="${left}" y="${y + barH - 3}" font-size="11" fill="#888">not measured</text>`);
      }
      y += barH + 4;
    }
    y += 10;
  }
  if (r.gemm.length) {
    const gmax = Math.max(...r.gemm.map((g) => g.gops));
    rows.push(`<text x="10" y="${y + 16}" font-size="16" font-weight="bold">GEMM throughput, GOPS (linear)</text>`);
    y += 28;
    for (const g of r.gemm) {
      const w = Math.max(2, (g.gops / gmax) * (W - left - 120));
      const color = g.kind === 'f32' ? '#e08214' : g.kind === 'int8-dot4' ? '#1b7837' : '#7fbf7b';
      rows.push(`<text x="20" y="${y + barH - 3}" font-size="11">${g.size}³ ${g.kind}</text>`);
      rows.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"/>`);
      rows.push(`<text x="${left + w + 6}" y="${y + barH - 3}" font-size="11">${f(g.gops)} GOPS</text>`);
      y += barH + 4;
    }
  }
  const H = y + 20;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${rows.join('\n')}\n</svg>\n`;
}
