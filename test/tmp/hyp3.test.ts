import { it } from 'vitest';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { quantizeGraph } from '../helpers/shape-ops-graphs.ts';
import { quant } from '../helpers/graphs.ts';
import { withDynamicTail } from '../helpers/delegation-graphs.ts';
const f = Math.fround;
function rne(x: number) { const r = Math.round(x); return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r; }
function rha(x: number) { return x < 0 ? -Math.round(-x) : Math.round(x); }
it('q', async () => {
  const lines: string[] = [];
  for (const [scale, zp] of [[0.05, 3], [0.003921568859368563, -128], [1/3, 0]] as const) {
    const s = f(scale);
    const xf = Float32Array.from({ length: 600 }, (_, k) => f((k - 300 + 0.5) * s));
    for (let k = 0; k < 100; k++) xf[k] = f((k - 50) * 0.37 * s);
    const g = withDynamicTail(quantizeGraph('float32', 'int8', [1, 600], undefined, quant(scale, zp)));
    const peer = await createTflitePeer(exportTflite(g));
    const [t] = peer.run([xf]);
    const T = new Int8Array(t!.buffer, t!.byteOffset, 600);
    const cl = (v: number) => Math.max(-128, Math.min(127, v));
    const inv = f(1 / s);
    const hyps: Record<string, (x: number) => number> = {
      'rha(f(x/s))+zp': (x) => cl(rha(f(x / s)) + zp),
      'rha(x/s double)+zp': (x) => cl(rha(x / s) + zp),
      'rne(f(x/s))+zp': (x) => cl(rne(f(x / s)) + zp),
      'rne(f(x*inv))+zp': (x) => cl(rne(f(x * inv)) + zp),
      'rha(f(x*inv))+zp': (x) => cl(rha(f(x * inv)) + zp),
      'rha(f(f(x/s)+zp))': (x) => cl(rha(f(f(x / s) + zp))),
      'rne(f(f(x/s)+zp))': (x) => cl(rne(f(f(x / s) + zp))),
      'floor(x/s+0.5)+zp': (x) => cl(Math.floor(f(x / s) + 0.5) + zp),
    };
    { const mm: string[] = []; for (let i = 0; i < 600 && mm.length < 30; i++) { const o = hyps['rha(f(x/s))+zp']!(xf[i]!); if (o !== T[i]) mm.push(`${i}:${xf[i]!.toFixed(4)}:${T[i]}/${o}`); } lines.push(mm.join(' ')); }
    for (const [name, h] of Object.entries(hyps)) {
      let d = 0; for (let i = 0; i < 600; i++) if (h(xf[i]!) !== T[i]) d++;
      lines.push(`scale ${scale} zp ${zp} ${name}: ${d} differ`);
    }
  }
  console.log(lines.join('\n'));
}, 600000);
