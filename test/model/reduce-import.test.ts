// Import and write-back of the reductions and normalizations: options survive a round trip, and
// hostile parameters are refused by name at import, before anything is allocated: axes out of
// range, a non-int32 or computed axis tensor, an output that does not match the reduction, and
// 8-bit L2_NORMALIZATION / LOG_SOFTMAX outputs without TFLite's fixed params.
import { describe, expect, test } from 'vitest';
import { ModelFormatError } from '../../src/model/errors.ts';
import type { Graph } from '../../src/model/graph.ts';
import { importTflite } from '../../src/model/import.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { GraphBuilder, quant } from '../helpers/graphs.ts';
import { normalizationGraph, reduceGraph, type ReduceType } from '../helpers/reduce-graphs.ts';

function refusal(graph: Graph): ModelFormatError {
  try {
    importTflite(exportTflite(graph));
  } catch (e) {
    if (e instanceof ModelFormatError) return e;
    throw e;
  }
  throw new Error(`${graph.name} was imported`);
}

test('every op and its options round-trip through the writer', () => {
  for (const type of ['SUM', 'REDUCE_MAX', 'REDUCE_MIN', 'REDUCE_PROD'] as const) {
    for (const keepDims of [false, true]) {
      const g = reduceGraph({ type, dtype: 'int8', shape: [2, 3, 4], axes: [-1, 0, 2], keepDims, input: [0.1, 2] });
      const back = importTflite(exportTflite(g));
      expect(back.ops.map((op) => [op.type, op.options])).toEqual([[type, { keepDims }]]);
    }
  }
  for (const type of ['L2_NORMALIZATION', 'LOG_SOFTMAX'] as const) {
    const back = importTflite(exportTflite(normalizationGraph(type, 'uint8', [2, 5], [0.1, 128])));
    expect(back.ops.map((op) => [op.type, op.options])).toEqual([[type, type === 'L2_NORMALIZATION' ? { activation: 'NONE' } : {}]]);
  }
});

describe('reductions with bad axes are refused at import', () => {
  const types: ReduceType[] = ['SUM', 'REDUCE_MAX', 'REDUCE_MIN', 'REDUCE_PROD'];
  test.each(types)('%s: an axis outside [−rank, rank)', (type) => {
    for (const axis of [3, -4, 1000, -2147483648]) {
      const g = reduceGraph({ type, dtype: 'int8', shape: [2, 3, 4], axes: [0], keepDims: true, input: [0.1, 0] });
      g.tensors[1]!.data = new Uint8Array(Int32Array.from([axis]).buffer);
      const e = refusal(g);
      expect(e.where).toBe(`operator 0 (${type})`);
      expect(e.message).toContain(`axis ${axis} is outside [-3, 3)`);
    }
  });

  test.each(types)('%s: an int64 or a computed axis tensor, an output of the wrong size', (type) => {
    const int64 = reduceGraph({ type, dtype: 'int8', shape: [2, 3], axes: [1], keepDims: false, input: [0.1, 0] });
    int64.tensors[1] = { ...int64.tensors[1]!, dtype: 'int64', data: new Uint8Array(BigInt64Array.from([1n]).buffer) };
    expect(refusal(int64).message).toMatch(/axis tensor is int64; TFLite requires int32/);

    const b = new GraphBuilder();
    const x = b.tensor('x', [2, 3], 'int8', quant(0.1, 0));
    const axis = b.tensor('axis', [1], 'int32');
    const y = b.tensor('y', [2], 'int8', quant(0.1, 0));
    b.op({ type, inputs: [x, axis], outputs: [y], options: { keepDims: false } });
    expect(refusal(b.build([x, axis], [y])).message).toMatch(/axis tensor 'axis' is computed at run time/);

    const absent = reduceGraph({ type, dtype: 'int8', shape: [2, 3], axes: [1], keepDims: false, input: [0.1, 0] });
    absent.ops[0]!.inputs[1] = -1;
    expect(refusal(absent).message).toMatch(/needs an input, an axis tensor and an output/);

    const wrong = reduceGraph({ type, dtype: 'int8', shape: [2, 3], axes: [1], keepDims: false, input: [0.1, 0] });
    wrong.tensors[2]!.shape = [3];
    expect(refusal(wrong).message).toMatch(/output \[3\] does not match reducing \[2, 3\] over axes \[1\] \(expected \[2\]\)/);
  });
});

describe('normalizations with the wrong output params are refused at import', () => {
  test('L2_NORMALIZATION: 8-bit outputs need 1/128 and zero point 0 (int8) or 128 (uint8)', () => {
    for (const [dtype, output] of [['int8', [1 / 256, 0]], ['int8', [1 / 128, 1]], ['uint8', [1 / 128, 0]]] as const) {
      const e = refusal(normalizationGraph('L2_NORMALIZATION', dtype, [2, 5], [0.1, dtype === 'int8' ? 0 : 128], [output[0], output[1]]));
      expect(e.where).toBe('operator 0 (L2_NORMALIZATION)');
      expect(e.message).toMatch(new RegExp(`TFLite requires scale 0.0078125 and zero point ${dtype === 'int8' ? 0 : 128}`));
    }
  });

  test('LOG_SOFTMAX: 8-bit outputs need 16/256 and zero point 127 (int8) or 255 (uint8)', () => {
    for (const [dtype, output] of [['int8', [1 / 256, -128]], ['int8', [1 / 16, 0]], ['uint8', [1 / 16, 127]]] as const) {
      const e = refusal(normalizationGraph('LOG_SOFTMAX', dtype, [2, 5], [0.1, dtype === 'int8' ? 0 : 128], [output[0], output[1]]));
      expect(e.where).toBe('operator 0 (LOG_SOFTMAX)');
      expect(e.message).toMatch(new RegExp(`TFLite requires scale 0.0625 and zero point ${dtype === 'int8' ? 127 : 255}`));
    }
  });

  test('L2_NORMALIZATION: rank above 4 and a fused activation', () => {
    expect(refusal(normalizationGraph('L2_NORMALIZATION', 'float32', [1, 2, 2, 2, 3])).message).toMatch(/input rank 5 is above 4/);
    const relu = normalizationGraph('L2_NORMALIZATION', 'float32', [2, 3]);
    (relu.ops[0]!.options as { activation: string }).activation = 'RELU';
    expect(refusal(relu).message).toMatch(/fused activation RELU; TFLite takes NONE only/);
  });
});
