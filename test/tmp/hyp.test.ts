import { it } from 'vitest';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { arithGraph, type ArithCase } from '../helpers/binary-graphs.ts';
import { quantizeGraph } from '../helpers/shape-ops-graphs.ts';
import { quant } from '../helpers/graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';
const f = Math.fround;
function rne(x: number) { const r = Math.round(x); return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r; }
it('mul', async () => {
  const lines: string[] = [];
  for (const [dtype, sa, za, sb, zb, so, zo] of [['int8', 0.0497, -128, 0.0039216, -128, 0.0495, -128], ['int8', 0.0617, -122, 0.003493, -128, 0.002749, -7], ['uint8', 0.03, 130, 0.02, 120, 0.05, 128], ['int8', 0.11, 3, 0.07, -5, 0.004, 2]] as const) {
    const c: ArithCase = { op: 'MUL', dtype, aShape: [256, 256], bShape: [1, 256], quant: [[sa, za], [sb, zb], [so, zo]] };
    const g = arithGraph(mulberry32(1), c);
    const n = 256 * 256;
    const A = dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
    const B = dtype === 'int8' ? new Int8Array(256) : new Uint8Array(256);
    const off = dtype === 'int8' ? -128 : 0;
    for (let i = 0; i < n; i++) A[i] = (i >> 8) + off;
    for (let i = 0; i < 256; i++) B[i] = i + off;
    const peer = await createTflitePeer(exportTflite(g));
    const [t] = peer.run([A, B]);
    const T = new (A.constructor as any)(t!.buffer, t!.byteOffset, n);
    const scale = f(f(f(sa) * f(sb)) / f(so));
    const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
    let d = 0; let first = '';
    for (let i = 0; i < n; i++) {
      const acc = (A[i]! - za) * (B[i & 255]! - zb);
      let v = f(acc * scale);
      v = Math.max(lo - zo, Math.min(hi - zo, v));
      const o = rne(v) + zo;
      if (o !== T[i]) { d++; if (!first) first = `acc ${acc} ours ${o} tflite ${T[i]} exact ${acc * sa * sb / so}`; }
    }
    lines.push(`MUL ${dtype}: ${d} differ ${first}`);
  }
  for (const [dtype, si, zi, so, zo] of [['int8', 0.01655, 31, 0.05852, 66], ['int8', 0.0208832, 127, 0.0400874, 112], ['int8', 0.05, 3, 0.011, -4], ['uint8', 0.05, 131, 0.03, 120], ['int8', 0.003, 0, 0.9, 0], ['int8', 0.5, 0, 0.003, 0]] as const) {
    const g = quantizeGraph(dtype, dtype, [1, 256], quant(si, zi), quant(so, zo));
    const A = dtype === 'int8' ? new Int8Array(256) : new Uint8Array(256);
    const off = dtype === 'int8' ? -128 : 0;
    for (let i = 0; i < 256; i++) A[i] = i + off;
    const peer = await createTflitePeer(exportTflite(g));
    const [t] = peer.run([A]);
    const T = new (A.constructor as any)(t!.buffer, t!.byteOffset, 256);
    const s = f(f(si) / f(so));
    const M = rne(f(256 * s));
    const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
    let d = 0; let first = '';
    for (let i = 0; i < 256; i++) {
      const o = Math.max(lo, Math.min(hi, Math.floor(((A[i]! - zi) * M + 128) / 256) + zo));
      if (o !== T[i]) { d++; if (!first) first = `x ${A[i]} ours ${o} tflite ${T[i]} exact ${(A[i]! - zi) * si / so + zo}`; }
    }
    lines.push(`QUANTIZE ${dtype} ${si}/${so}: ${d} differ ${first}`);
  }
  console.log(lines.join('\n'));
}, 600000);
