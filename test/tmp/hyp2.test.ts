import { it } from 'vitest';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { arithGraph, type ArithCase } from '../helpers/binary-graphs.ts';
import { quantizeGraph } from '../helpers/shape-ops-graphs.ts';
import { quant } from '../helpers/graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { quantizeMultiplier, multiplyByQuantizedMultiplier } from '../../src/quant/fixedpoint.ts';
const f = Math.fround;
function rne(x: number) { const r = Math.round(x); return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r; }
it('edges', async () => {
  const lines: string[] = [];
  for (const [from, to, ratio] of [['int8','int8',0.0039],['int8','int8',0.00390625],['int8','int8',0.0039063],['int8','int8',100.499],['int8','int8',127.99],['int8','int8',128],['int8','int8',128.499],['int8','uint8',0.2831],['uint8','int8',0.2831],['uint8','uint8',0.2831]] as const) {
    const so = 0.01; const si = f(ratio * so);
    const zi = from === 'int8' ? 0 : 128; const zo = to === 'int8' ? 0 : 128;
    const g = quantizeGraph(from, to, [1, 256], quant(si, zi), quant(so, zo));
    const A = from === 'int8' ? new Int8Array(256) : new Uint8Array(256);
    for (let i = 0; i < 256; i++) A[i] = from === 'int8' ? i - 128 : i;
    const peer = await createTflitePeer(exportTflite(g));
    const [t] = peer.run([A]);
    const T = to === 'int8' ? new Int8Array(t!.buffer, t!.byteOffset, 256) : new Uint8Array(t!.buffer, t!.byteOffset, 256);
    const s = f(f(si) / f(so));
    const M = rne(f(256 * s));
    const [lo, hi] = to === 'int8' ? [-128, 127] : [0, 255];
    const m = quantizeMultiplier(si / so);
    let dv = 0, db = 0;
    for (let i = 0; i < 256; i++) {
      const v = Math.max(lo, Math.min(hi, Math.floor(((A[i]! - zi) * M + 128) / 256) + zo));
      const b = Math.max(lo, Math.min(hi, multiplyByQuantizedMultiplier(A[i]! - zi, m.multiplier, m.shift) + zo));
      if (v !== T[i]) dv++;
      if (b !== T[i]) db++;
    }
    lines.push(`QUANTIZE ${from}->${to} ratio ${ratio} (f32 ${s}): vcvt ${dv} differ, builtin ${db} differ`);
  }
  for (const ratio of [2 ** -16 * (1 - 7e-5), 2 ** -15 * (1 - 8e-5), 2**-16]) {
    const sa = 0.5, sb = 0.25; const so = f(f(f(sa) * f(sb)) / f(ratio));
    const c: ArithCase = { op: 'MUL', dtype: 'int8', aShape: [256, 256], bShape: [1, 256], quant: [[sa, -128], [sb, -128], [so, 0]] };
    const g = arithGraph(mulberry32(1), c);
    const n = 256 * 256; const A = new Int8Array(n), B = new Int8Array(256);
    for (let i = 0; i < n; i++) A[i] = (i >> 8) - 128;
    for (let i = 0; i < 256; i++) B[i] = i - 128;
    const peer = await createTflitePeer(exportTflite(g));
    const [t] = peer.run([A, B]);
    const T = new Int8Array(t!.buffer, t!.byteOffset, n);
    const scale = f(f(f(sa) * f(sb)) / f(so));
    const m = quantizeMultiplier(scale);
    let dv = 0, db = 0;
    for (let i = 0; i < n; i++) {
      const acc = (A[i]! + 128) * (B[i & 255]! + 128);
      const v = rne(Math.max(-128, Math.min(127, f(acc * scale))));
      const b = Math.max(-128, Math.min(127, multiplyByQuantizedMultiplier(acc, m.multiplier, m.shift)));
      if (v !== T[i]) dv++;
      if (b !== T[i]) db++;
    }
    lines.push(`MUL ratio ${ratio} (f32 ${scale}): fp32 ${dv} differ, builtin ${db}`);
  }
  console.log(lines.join('\n'));
}, 600000);
