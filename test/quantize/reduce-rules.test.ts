// The quantizer's and the batcher's rules for the reductions and normalizations: REDUCE_MAX and
// REDUCE_MIN share their input's params (TFLite requires equal ones), L2_NORMALIZATION and
// LOG_SOFTMAX get TFLite's fixed int8 params, SUM and REDUCE_PROD calibrate their own; the int8
// model loads in the TFLite runtime, which gives the CPU reference's bytes. Batching refuses a
// reduction over the batch axis and a normalization of a rank-1 tensor, and rewrites the rest.
import { describe, expect, test } from 'vitest';
import type { Graph } from '../../src/model/graph.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { quantizeFloatModel } from '../../src/quantize/quantize-graph.ts';
import { runReference } from '../../src/reference/run.ts';
import { batchGraph, BatchError } from '../../src/passes/batch.ts';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { compareTensors } from '../helpers/compare.ts';
import { GraphBuilder } from '../helpers/graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

function floatGraph(): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('x', [1, 4, 6], 'float32');
  const axis1 = b.tensor('axis1', [1], 'int32', undefined, Int32Array.of(1));
  const axisLast = b.tensor('axisLast', [1], 'int32', undefined, Int32Array.of(-1));
  const max = b.tensor('max', [1, 6], 'float32');
  const min = b.tensor('min', [1, 1, 6], 'float32');
  const sum = b.tensor('sum', [1, 4], 'float32');
  const prod = b.tensor('prod', [1, 4, 1], 'float32');
  const l2 = b.tensor('l2', [1, 6], 'float32');
  const logp = b.tensor('logp', [1, 4], 'float32');
  b.op({ type: 'REDUCE_MAX', inputs: [x, axis1], outputs: [max], options: { keepDims: false } });
  b.op({ type: 'REDUCE_MIN', inputs: [x, axis1], outputs: [min], options: { keepDims: true } });
  b.op({ type: 'SUM', inputs: [x, axisLast], outputs: [sum], options: { keepDims: false } });
  b.op({ type: 'REDUCE_PROD', inputs: [x, axisLast], outputs: [prod], options: { keepDims: true } });
  b.op({ type: 'L2_NORMALIZATION', inputs: [max], outputs: [l2], options: { activation: 'NONE' } });
  b.op({ type: 'LOG_SOFTMAX', inputs: [sum], outputs: [logp], options: {} });
  return b.build([x], [min, prod, l2, logp], 'reduce-rules');
}

const samples = (seed: number, count: number) => {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: 24 }, () => rng() * 2 - 0.5));
};

describe('quantizer rules', () => {
  const { graph: q, ranges } = quantizeFloatModel(floatGraph(), samples(1, 8));
  const params = (name: string) => {
    const t = q.tensors.find((x) => x.name === name)!;
    return [t.quant!.scale[0], t.quant!.zeroPoint[0]];
  };
  const source = (name: string) => ranges.find((r) => r.name === name)!.source;

  test('MAX and MIN share the input params; L2 and LOG_SOFTMAX are fixed; SUM and PROD calibrated', () => {
    expect(params('max')).toEqual(params('x'));
    expect(params('min')).toEqual(params('x'));
    expect(params('l2')).toEqual([1 / 128, 0]);
    expect(params('logp')).toEqual([16 / 256, 127]);
    expect([source('max'), source('min'), source('l2'), source('logp'), source('sum'), source('prod')]).toEqual(['shared', 'shared', 'fixed', 'fixed', 'calibrated', 'calibrated']);
    expect(new Set(q.ops.map((op) => op.version))).toEqual(new Set([2]));
  });

  test('the int8 model runs in the TFLite runtime and gives the reference bytes', async () => {
    const peer = await createTflitePeer(exportTflite(q));
    const inQ = q.tensors[q.inputs[0]!]!.quant!;
    for (const sample of samples(2, 3)) {
      const x = Int8Array.from(sample, (v) => Math.max(-128, Math.min(127, Math.round(v / inQ.scale[0]!) + inQ.zeroPoint[0]!)));
      const tflite = peer.run([x]);
      const ours = runReference(q, [x], { requantization: 'xnnpack' });
      ours.forEach((o, i) => {
        const t = tflite[i]!;
        expect(compareTensors(o, new Int8Array(t.buffer, t.byteOffset, t.byteLength)).differing).toBe(0);
      });
    }
  });
});

describe('batching rules', () => {
  test('reductions off the batch axis and normalizations of rank ≥ 2 batch', () => {
    const g = batchGraph(floatGraph(), 3);
    expect(g.tensors.find((t) => t.name === 'logp')!.shape).toEqual([3, 4]);
  });

  test('a reduction over the batch axis and a rank-1 normalization are refused by name', () => {
    for (const type of ['SUM', 'REDUCE_MAX', 'REDUCE_MIN', 'REDUCE_PROD'] as const) {
      const b = new GraphBuilder();
      const x = b.tensor('x', [1, 5], 'float32');
      const axis = b.tensor('axis', [1], 'int32', undefined, Int32Array.of(-2));
      const y = b.tensor('y', [5], 'float32');
      b.op({ type, inputs: [x, axis], outputs: [y], options: { keepDims: false } });
      expect(() => batchGraph(b.build([x], [y]), 2)).toThrow(new RegExp(`${type} at operator 0: it reduces over the batch axis`));
    }
    for (const type of ['L2_NORMALIZATION', 'LOG_SOFTMAX'] as const) {
      const b = new GraphBuilder();
      const x = b.tensor('x', [1], 'float32');
      const y = b.tensor('y', [1], 'float32');
      if (type === 'L2_NORMALIZATION') b.op({ type, inputs: [x], outputs: [y], options: { activation: 'NONE' } });
      else b.op({ type, inputs: [x], outputs: [y], options: {} });
      expect(() => batchGraph(b.build([x], [y]), 2)).toThrow(BatchError);
      expect(() => batchGraph(b.build([x], [y]), 2)).toThrow(/it normalizes over the batch axis/);
    }
  });
});

describe('constant folding', () => {
  test('a SUM of a constant folds into a constant the reference computed', async () => {
    const { foldConstants } = await import('../../src/passes/fold-constants.ts');
    const b = new GraphBuilder();
    const c = b.tensor('c', [2, 3], 'float32', undefined, Float32Array.of(1, 2, 3, 4, 5, 6));
    const axis = b.tensor('axis', [1], 'int32', undefined, Int32Array.of(-1));
    const s = b.tensor('s', [2], 'float32');
    const x = b.tensor('x', [2], 'float32');
    const y = b.tensor('y', [2], 'float32');
    b.op({ type: 'SUM', inputs: [c, axis], outputs: [s], options: { keepDims: false } });
    b.op({ type: 'ADD', inputs: [x, s], outputs: [y], options: { activation: 'NONE' } });
    const f = foldConstants(b.build([x], [y]));
    expect(f.ops.map((op) => op.type)).toEqual(['ADD']);
    expect(Array.from(new Float32Array(f.tensors[s]!.data!.buffer.slice(0)))).toEqual([6, 15]);
  });
});
