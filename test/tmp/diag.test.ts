// Throwaway: per-op reference vs TFLite runtime on one corpus model.
import { it } from 'vitest';
import { importTflite } from '../../src/model/import.ts';
import { foldConstants } from '../../src/passes/fold-constants.ts';
import { prepareReference, type TensorData } from '../../src/reference/run.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import type { Graph, TensorIR } from '../../src/model/graph.ts';
import { corpusEntries, readCorpusTensor, corpusDifference } from '../helpers/corpus.ts';
import { modelBytes } from '../helpers/vectors.ts';

const MODEL = process.env.DIAG_MODEL!;
const MODE = (process.env.DIAG_MODE ?? 'xnnpack') as 'xnnpack' | 'tflite';
const MAXOPS = Number(process.env.DIAG_MAXOPS ?? 1e9);

function subgraph(g: Graph, k: number): Graph {
  const op = g.ops[k]!;
  const map = new Map<number, number>();
  const tensors: TensorIR[] = [];
  const inputs: number[] = [];
  const add = (id: number): number => {
    if (id < 0) return id;
    let n = map.get(id);
    if (n === undefined) {
      n = tensors.length;
      map.set(id, n);
      tensors.push({ ...g.tensors[id]!, id: n });
    }
    return n;
  };
  const ins = op.inputs.map((id) => {
    const n = add(id);
    if (id >= 0 && !g.tensors[id]!.data && !inputs.includes(n)) inputs.push(n);
    return n;
  });
  const outs = op.outputs.map(add);
  if (process.env.DIAG_DYN) {
    const ops: any[] = [{ ...op, index: 0, inputs: ins, outputs: outs }];
    const finalOuts = outs.map((o, j) => {
      const t = tensors[o]!;
      const shp = tensors.length;
      tensors.push({ id: shp, name: `shape${j}`, shape: [t.shape.length], dtype: 'int32' });
      const o2 = tensors.length;
      tensors.push({ ...t, id: o2, name: `dyn${j}` });
      ops.push({ index: ops.length, type: 'SHAPE', version: 1, inputs: [o], outputs: [shp], options: { outType: 'int32' } });
      ops.push({ index: ops.length, type: 'RESHAPE', version: 1, inputs: [o, shp], outputs: [o2], options: {} });
      return o2;
    });
    return { name: `op${k}`, description: '', tensors, ops, inputs, outputs: finalOuts };
  }
  return { name: `op${k}`, description: '', tensors, ops: [{ ...op, index: 0, inputs: ins, outputs: outs } as never], inputs, outputs: outs };
}

it('diag', async () => {
  const imported = importTflite(modelBytes(MODEL), MODEL);
  const graph = process.env.DIAG_NOFOLD ? imported : foldConstants(imported, { requantization: MODE });
  const entry = corpusEntries().find((e) => e.model === MODEL && (!process.env.DIAG_CASE || e.case === process.env.DIAG_CASE))!;
  const inputs = entry.inputs.map((i) => readCorpusTensor(i.file, i.dtype));
  const ref = prepareReference(graph, { requantization: MODE });
  const all = ref.runAll(inputs);
  const lines: string[] = [];
  const r0 = ref.run(inputs);
  entry.outputs.forEach((o, j) => lines.push(`${entry.case} ref.run vs vector: ${JSON.stringify(corpusDifference(r0[j]!, readCorpusTensor(o.file, o.dtype), o.dtype))}`));
  let shown = 0;
  const PREFIX = process.env.DIAG_PREFIX === '1';
  if (PREFIX) {
    const peer = await createTflitePeer(modelBytes(MODEL));
    const out = peer.run(inputs);
    entry.outputs.forEach((o, j) => {
      const exp = readCorpusTensor(o.file, o.dtype);
      const a = new Uint8Array(out[j]!.buffer, out[j]!.byteOffset, out[j]!.byteLength);
      const b = new Uint8Array(exp.buffer, exp.byteOffset, exp.byteLength);
      let d = 0; for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
      lines.push(`whole model tflite vs vector out${j}: ${d} bytes differ of ${a.length}`);
    });
  }
  for (let k = Number(process.env.DIAG_FROM ?? 0); k < graph.ops.length && k < MAXOPS; k++) {
    const op = graph.ops[k]!;
    const sub = PREFIX ? { ...graph, ops: graph.ops.slice(0, k + 1), outputs: op.outputs.filter((id) => id >= 0) } : subgraph(graph, k);
    let got: ArrayBufferView[];
    try {
      const peer = await createTflitePeer(exportTflite(sub));
      got = PREFIX ? peer.run(inputs) : peer.run(sub.inputs.map((n) => all.get(op.inputs[sub.ops[0]!.inputs.indexOf(n)]!)!));
    } catch (e) {
      lines.push(`op ${k} ${op.type}: tflite failed ${(e as Error).message}`);
      continue;
    }
    op.outputs.forEach((id, j) => {
      const ours = all.get(id)! as TensorData;
      const theirs = got[j]!;
      const t = new (ours.constructor as any)(theirs.buffer, theirs.byteOffset, ours.length) as TensorData;
      let diff = 0, maxd = 0, first = '';
      for (let i = 0; i < ours.length; i++) {
        const d = Math.abs(Number(ours[i]) - Number(t[i]));
        const tol = ours instanceof Float32Array ? 1e-5 * Math.max(1, Math.abs(Number(t[i]))) : 0;
        if (d > tol) { diff++; if (!first) first = `@${i} ours ${ours[i]} tflite ${t[i]}`; maxd = Math.max(maxd, d); }
      }
      const tin = g(graph, op.inputs[0]!), tout = g(graph, id);
      if ((diff > 0 || process.env.DIAG_ALL) && shown++ < 400) {
        lines.push(`op ${k} ${op.type} v${op.version} out${j}: ${diff}/${ours.length} differ max ${maxd} ${first} | in ${desc(tin)} w ${op.inputs[1] !== undefined && op.inputs[1] >= 0 ? desc(graph.tensors[op.inputs[1]]!) : ''} out ${desc(tout)} opts ${JSON.stringify(op.options)}`);
      }
    });
  }
  lines.push(`${graph.ops.length} ops checked`);
  console.log(lines.join('\n'));
}, 3_600_000);

function g(graph: Graph, id: number) { return graph.tensors[id]!; }
function desc(t: TensorIR): string {
  const q = t.quant ? ` q(${t.quant.scale.length > 1 ? t.quant.scale.length + 'ch' : t.quant.scale[0]}, ${t.quant.zeroPoint.length > 1 ? 'zp..' : t.quant.zeroPoint[0]})` : '';
  return `${t.dtype}[${t.shape}]${q}`;
}
