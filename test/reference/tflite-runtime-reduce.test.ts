// SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD, L2_NORMALIZATION and LOG_SOFTMAX: single-op graphs
// written by Octet and run by the TFLite runtime itself (the WASM build inside
// @tensorflow/tfjs-tflite that made the reference vectors). The CPU reference must give the
// runtime's bytes exactly, int8 and legacy uint8, over keep_dims both ways, negative and
// duplicate axes, odd shapes and several quantizations (SUM's raw wrapping sum and its rescaled
// one, PROD's per-step rescaling); float32 within 1e-6 relative (the runtime's float kernels
// vectorize their sums). What the runtime refuses (8-bit MAX/MIN with different params, uint8
// PROD) the reference refuses too.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/model/graph.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { runReference, ReferenceRunError, type TensorData } from '../../src/reference/run.ts';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { compareTensors } from '../helpers/compare.ts';
import { randomBytes } from '../helpers/graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { normalizationGraph, reduceGraph, type ReduceCase, type ReduceType } from '../helpers/reduce-graphs.ts';

async function runtimeOutput(graph: Graph, input: TensorData): Promise<TensorData> {
  const peer = await createTflitePeer(exportTflite(graph));
  const [t] = peer.run([input]);
  return (graph.tensors[graph.outputs[0]!]!.dtype === 'int8' ? new Int8Array(t!.buffer, t!.byteOffset, t!.byteLength) : t) as TensorData;
}

async function failureOf(graph: Graph, input: TensorData): Promise<string | undefined> {
  const expected = await runtimeOutput(graph, input);
  const [ours] = runReference(graph, [input], { requantization: 'xnnpack' });
  if (ours instanceof Float32Array) {
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - expected[i]!) / Math.max(Math.abs(expected[i]!), 1e-30));
    return ours.length === expected.length && worst <= 1e-6 ? undefined : `${graph.name}: relative difference ${worst}`;
  }
  const cmp = compareTensors(ours!, expected);
  return cmp.differing > 0 ? `${graph.name}: ${cmp.differing} of ${cmp.elements} differ, ${cmp.firstDiff}` : undefined;
}

function inputFor(rng: () => number, c: { dtype: string; shape: number[] }, spread?: [number, number]): TensorData {
  const n = c.shape.reduce((a, b) => a * b, 1);
  if (c.dtype === 'float32') return Float32Array.from({ length: n }, () => (rng() - 0.5) * 6);
  if (!spread) return randomBytes(rng, n, c.dtype as 'int8' | 'uint8');
  const [center, half] = spread;
  const out = c.dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = center + Math.round((rng() * 2 - 1) * half);
  return out;
}

const SHAPES: Array<[number[], number[]]> = [
  [[2, 3, 5], [1]],
  [[2, 3, 5], [-1]],
  [[2, 3, 5], [0, 2]],
  [[2, 3, 5], [2, -1, 0]], // a duplicate, negative and positive
  [[1, 5, 7, 3], [1, 2]],
  [[1, 5, 7, 3], [3]],
  [[7], [0]],
  [[2, 1, 3, 4, 2], [1, 3]],
  [[3, 9], [0, 1]],
  [[2, 1, 3], [1]], // size-1 axes only: nothing is reduced
  [[1, 4], [-2]],
];

describe('reductions equal the TFLite runtime', () => {
  const cases: Array<{ type: ReduceType; quants: Array<[[number, number], [number, number]]>; spread?: [number, number] }> = [
    // SUM: equal params sum raw values and wrap; the rest rescale in float32 and wrap.
    { type: 'SUM', quants: [[[0.05, 0], [0.05, 0]], [[0.05, 3], [0.05, 3]], [[0.05, 3], [0.2, -7]], [[0.0712, -11], [0.4, 5]], [[0.1, 0], [0.05, 0]], [[0.02, 20], [0.5, 0]]] },
    { type: 'REDUCE_MAX', quants: [[[0.05, 0], [0.05, 0]], [[0.0712, -11], [0.0712, -11]]] },
    { type: 'REDUCE_MIN', quants: [[[0.05, 0], [0.05, 0]], [[0.0712, -11], [0.0712, -11]]] },
    // PROD: values near the zero point keep the products in range, so the rescaling shows.
    { type: 'REDUCE_PROD', quants: [[[0.5, 0], [0.3, 0]], [[0.4, 3], [0.9, -5]], [[0.25, -2], [0.05, 10]]], spread: [0, 6] },
  ];
  for (const { type, quants, spread } of cases) {
    for (const dtype of ['int8', 'uint8', 'float32'] as const) {
      if (type === 'REDUCE_PROD' && dtype === 'uint8') continue;
      it(`${type} ${dtype}: ${SHAPES.length} shapes × keep_dims both ways${dtype === 'float32' ? '' : ` × ${quants.length} quantizations`}`, async () => {
        const rng = mulberry32(type.length * 31 + dtype.length);
        const failures: string[] = [];
        for (const [shape, axes] of SHAPES) {
          // An int8 product over size-1 axes only is refused (the runtime mis-reduces it; tested below).
          if (type === 'REDUCE_PROD' && dtype === 'int8' && axes.every((a) => shape[a < 0 ? a + shape.length : a] === 1)) continue;
          for (const keepDims of [false, true]) {
            for (const [qi, qo] of dtype === 'float32' ? [quants[0]!] : quants) {
              const offset = dtype === 'uint8' ? 128 : 0;
              const c: ReduceCase = { type, dtype, shape, axes, keepDims, input: [qi[0], qi[1] + offset], output: [qo[0], qo[1] + offset] };
              const x = inputFor(rng, c, spread && [spread[0] + qi[1] + offset, spread[1]]);
              const failure = await failureOf(reduceGraph(c), x);
              if (failure) failures.push(failure);
            }
          }
        }
        expect(failures).toEqual([]);
      }, 120_000);
    }
  }

  it('the runtime and the reference both refuse 8-bit MAX/MIN with different params and uint8 PROD; an int8 PROD over size-1 axes the reference refuses', async () => {
    const graphs = [
      reduceGraph({ type: 'REDUCE_MAX', dtype: 'int8', shape: [2, 3], axes: [1], keepDims: false, input: [0.1, 0], output: [0.2, 0] }),
      reduceGraph({ type: 'REDUCE_MIN', dtype: 'uint8', shape: [2, 3], axes: [1], keepDims: false, input: [0.1, 128], output: [0.1, 127] }),
      reduceGraph({ type: 'REDUCE_PROD', dtype: 'uint8', shape: [2, 3], axes: [1], keepDims: false, input: [0.1, 128], output: [0.1, 128] }),
    ];
    // An int8 product over size-1 axes only: the runtime runs it but multiplies the wrong elements
    // (here all four into the first output), so the reference refuses it by name.
    const degenerate = reduceGraph({ type: 'REDUCE_PROD', dtype: 'int8', shape: [4, 1], axes: [1], keepDims: false, input: [0.5, 0], output: [0.3, 0] });
    const x4 = Int8Array.of(1, 2, -1, -3);
    expect(Array.from(await runtimeOutput(degenerate, x4))).toEqual([42, 0, 0, 0]);
    expect(() => runReference(degenerate, [x4])).toThrow(/REDUCE_PROD with an int8 product over axes of size 1 only/);
    for (const g of graphs) {
      const x = inputFor(mulberry32(1), { dtype: g.tensors[0]!.dtype, shape: g.tensors[0]!.shape });
      await expect(runtimeOutput(g, x)).rejects.toThrow();
      expect(() => runReference(g, [x])).toThrow(ReferenceRunError);
    }
  });
});

describe('L2_NORMALIZATION and LOG_SOFTMAX equal the TFLite runtime', () => {
  const shapes = [[1, 7], [3, 5, 16], [2, 2, 2, 9], [4, 1], [2, 300]];
  for (const type of ['L2_NORMALIZATION', 'LOG_SOFTMAX'] as const) {
    for (const dtype of ['int8', 'uint8', 'float32'] as const) {
      it(`${type} ${dtype}: ${shapes.length} shapes × 4 input quantizations`, async () => {
        const rng = mulberry32(type.length * 7 + dtype.length);
        const failures: string[] = [];
        const offset = dtype === 'uint8' ? 128 : 0;
        for (const shape of shapes) {
          for (const [scale, zp] of dtype === 'float32' ? [[1, 0]] : [[0.05, 0], [0.1, 7], [0.0117, -100], [0.37, 60]]) {
            const graph = normalizationGraph(type, dtype, shape, [scale!, zp! + offset]);
            const x = inputFor(rng, { dtype, shape });
            // Rows of the zero point alone (a zero norm) and of one step off it.
            if (dtype !== 'float32' && shape[shape.length - 1]! > 1) {
              const depth = shape[shape.length - 1]!;
              x.fill(zp! + offset, 0, depth);
              if (x.length >= 2 * depth) { x.fill(zp! + offset, depth, 2 * depth); x[depth] = zp! + offset + 1; }
            }
            const failure = await failureOf(graph, x);
            if (failure) failures.push(failure);
          }
        }
        expect(failures).toEqual([]);
      }, 120_000);
    }
  }
});
