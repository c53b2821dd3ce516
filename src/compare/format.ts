// A ComparisonReport as plain text for a terminal.
import type { ComparedModel, ComparisonReport } from './compare.ts';

function pct(x: number | null): string {
  return x === null ? '-' : `${(100 * x).toFixed(2)}%`;
}

function bytes(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(2)} MiB`;
}

function ms(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '-' : `${x.toFixed(2)} ms`;
}

function num(x: number): string {
  if (x === 0) return '0';
  return Math.abs(x) >= 0.01 && Math.abs(x) < 1e4 ? x.toFixed(4) : x.toExponential(3);
}

function table(headers: string[], rows: string[][], rightAligned: number[] = []): string[] {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((s, c) => (rightAligned.includes(c) ? s.padStart(widths[c]!) : s.padEnd(widths[c]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** Long TFLite tensor names ("a/b/Relu;a/b/BiasAdd;…") cut to their first part, at most `max` characters. */
function shortName(name: string, max = 48): string {
  const first = name.split(';')[0]!;
  return first.length <= max ? first : `…${first.slice(first.length - max + 1)}`;
}

export function formatComparison(r: ComparisonReport): string {
  const out: string[] = [];
  out.push(`int8 vs float on ${r.dataset || 'dataset'} (n=${r.n}${r.labelled !== r.n ? `, ${r.labelled} labelled` : ''})${r.adapter ? `  [${r.adapter}]` : ''}`);
  out.push('');
  const row = (label: string, m: ComparedModel) => [
    label,
    m.name,
    m.backend,
    pct(m.top1),
    bytes(m.weightBytes),
    ms(m.latency.wallMsMedian),
    ms(m.latency.gpuMsMedian),
  ];
  out.push(...table(['', 'model', 'backend', 'top-1', 'weights', 'wall (median)', 'GPU (median)'], [row('int8', r.int8), row('float', r.float)], [3, 4, 5, 6]));
  out.push('');
  out.push(`top-1 agreement: ${pct(r.agreement)} (${r.agreed}/${r.n})`);
  const top1Delta = r.int8.top1 !== null && r.float.top1 !== null ? 100 * (r.int8.top1 - r.float.top1) : null;
  if (top1Delta !== null) out.push(`top-1 int8 − float: ${top1Delta >= 0 ? '+' : ''}${top1Delta.toFixed(2)} points`);
  if (r.int8.weightBytes > 0) {
    out.push(`weights: ${bytes(r.int8.weightBytes)} int8 vs ${bytes(r.float.weightBytes)} float32 (${(r.float.weightBytes / r.int8.weightBytes).toFixed(2)}x)`);
  }
  const w8 = r.int8.latency.wallMsMedian;
  const wf = r.float.latency.wallMsMedian;
  if (w8 > 0 && wf > 0 && r.int8.backend === r.float.backend) out.push(`wall time float/int8: ${(wf / w8).toFixed(2)}x`);
  const g8 = r.int8.latency.gpuMsMedian;
  const gf = r.float.latency.gpuMsMedian;
  if (g8 && gf) out.push(`GPU time float/int8: ${(gf / g8).toFixed(2)}x`);
  for (const o of r.outputs) {
    out.push(`output ${o.index} (${shortName(o.name, 40)}): |int8 − float| mean ${num(o.meanAbsDiff)}, max ${num(o.maxAbsDiff)}`);
  }
  if (r.layers) {
    const l = r.layers;
    out.push('');
    const how = l.matching === 'id' ? 'shared tensor ids' : 'tensor name and shape';
    out.push(
      `per-layer SQNR (int8 dequantized vs float), first ${l.capturedInputs} item(s); ${l.matched} of ${l.int8Activations} int8 activations matched by ${how}` +
        (l.matching === 'name+shape' ? ` (float model has ${l.floatActivations})` : ''),
    );
    if (l.layers.length) {
      out.push(
        ...table(
          ['op', 'type', 'tensor', 'shape', 'SQNR dB', 'max |diff|'],
          l.layers.map((x) => [
            String(x.opIndex),
            x.opType,
            shortName(x.name),
            `[${x.shape.join(',')}]`,
            x.sqnrDb === null ? (x.identical ? 'exact' : '-') : x.sqnrDb.toFixed(1),
            num(x.maxAbsDiff),
          ]),
          [0, 4, 5],
        ),
      );
    }
    for (const s of l.skipped) out.push(`  skipped ${shortName(s.name)}: ${s.reason}`);
  }
  if (r.notes.length) {
    out.push('');
    for (const n of r.notes) out.push(`note: ${n}`);
  }
  out.push(`(${r.seconds.toFixed(1)} s)`);
  return out.join('\n');
}
