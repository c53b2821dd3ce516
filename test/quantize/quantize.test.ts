import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import type { Graph } from '../../src/model/graph.ts';
import { importTflite } from '../../src/model/import.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { constantData, dequantizeTensor } from '../../src/quant/tensor.ts';
import { runReferenceAll } from '../../src/reference/run.ts';
import {
  QuantizeError,
  activationParams,
  calibrate,
  quantizeBias,
  quantizeFloatModel,
  quantizeFloatModelToTflite,
  quantizeWeights,
  quantizeWithRanges,
} from '../../src/quantize/index.ts';
import { GraphBuilder } from '../helpers/graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

const f = Math.fround;

describe('activationParams (TFLite GetAsymmetricQuantizationParams)', () => {
  test('known ranges', () => {
    expect(activationParams(0, 255)).toEqual({ scale: 1, zeroPoint: -128 });
    // −128 − (−1)/(2/255) = −0.5, rounded half away from zero.
    expect(activationParams(-1, 1)).toEqual({ scale: f(2 / 255), zeroPoint: -1 });
    // Ranges that exclude 0 are widened to include it.
    expect(activationParams(2, 5)).toEqual({ scale: f(5 / 255), zeroPoint: -128 });
    expect(activationParams(-5, -2)).toEqual({ scale: f(5 / 255), zeroPoint: 127 });
    // A tensor that is always 0 still gets a usable scale.
    expect(activationParams(0, 0)).toEqual({ scale: 1, zeroPoint: -128 });
  });

  test('0 is exact and the calibrated range is covered to within one step', () => {
    fc.assert(
      fc.property(
        fc.float({ min: -1e4, max: 1e4, noNaN: true }),
        fc.float({ min: -1e4, max: 1e4, noNaN: true }),
        (a, b) => {
          const [min, max] = a <= b ? [a, b] : [b, a];
          const { scale, zeroPoint } = activationParams(min, max);
          expect(scale).toBeGreaterThan(0);
          expect(Number.isInteger(zeroPoint) && zeroPoint >= -128 && zeroPoint <= 127).toBe(true);
          if (max - min > 1e-3) {
            expect(scale * (-128 - zeroPoint)).toBeLessThanOrEqual(Math.min(min, 0) + scale);
            expect(scale * (127 - zeroPoint)).toBeGreaterThanOrEqual(Math.max(max, 0) - scale);
          }
        },
      ),
    );
  });
});

describe('weights and biases', () => {
  test('per-channel symmetric weights: max |w| of each channel maps to ±127, zero channels get scale 1', () => {
    // [2 channels on axis 3] of a depthwise filter [1, 1, 2, 2]: channel c is element i % 2.
    const values = Float32Array.of(0.5, 0, -1.27, 0, 0.3, 0, 0.02, 0);
    const { data, quant } = quantizeWeights(values, [1, 2, 2, 2], 3);
    expect(quant.axis).toBe(3);
    expect(Array.from(quant.scale)).toEqual([f(1.27 / 127), 1]);
    expect(Array.from(quant.zeroPoint)).toEqual([0, 0]);
    expect(Array.from(data)).toEqual([50, 0, -127, 0, 30, 0, 2, 0]);
  });

  test('per-tensor weights share one scale; values stay in [−127, 127]', () => {
    const rng = mulberry32(7);
    const values = Float32Array.from({ length: 4 * 9 }, () => (rng() - 0.5) * 6);
    const { data, quant } = quantizeWeights(values, [4, 9], null);
    expect(quant.scale.length).toBe(1);
    expect(Math.min(...data)).toBeGreaterThanOrEqual(-127);
    expect(Math.max(...data.map(Math.abs))).toBe(127);
    const back = dequantizeTensor(data, [4, 9], quant);
    back.forEach((v, i) => expect(Math.abs(v - values[i])).toBeLessThanOrEqual(quant.scale[0] / 2 + 1e-6));
  });

  test('bias scale is input_scale × weight_scale[c], zero point 0', () => {
    const weights = { scale: Float64Array.of(f(0.5), f(0.25)), zeroPoint: new Int32Array(2), axis: 0 };
    const { data, quant } = quantizeBias(Float32Array.of(1, -1), 0.1, weights);
    expect(Array.from(quant.scale)).toEqual([f(f(0.1) * f(0.5)), f(f(0.1) * f(0.25))]);
    expect(Array.from(data)).toEqual([20, -40]);
  });
});

/**
 * A small float CNN with every op family the quantizer treats differently: weighted ops (conv
 * with one all-zero output channel, depthwise, FC), ADD (own params), MAX_POOL / AVERAGE_POOL /
 * RESHAPE (share their input's), SOFTMAX (fixed).
 */
function smallFloatGraph(): Graph {
  const rng = mulberry32(42);
  const random = (n: number, spread: number) => Float32Array.from({ length: n }, () => (rng() - 0.5) * spread);
  const b = new GraphBuilder();
  const input = b.tensor('input', [1, 6, 6, 3], 'float32');
  const convW = random(4 * 3 * 3 * 3, 1);
  convW.fill(0, 3 * 27); // output channel 3 is dead
  const convWeights = b.tensor('conv/w', [4, 3, 3, 3], 'float32', undefined, convW);
  const convBias = b.tensor('conv/b', [4], 'float32', undefined, random(4, 0.5));
  const conv = b.tensor('conv', [1, 6, 6, 4], 'float32');
  const dwWeights = b.tensor('dw/w', [1, 3, 3, 4], 'float32', undefined, random(36, 1));
  const dwBias = b.tensor('dw/b', [4], 'float32', undefined, random(4, 0.5));
  const dw = b.tensor('dw', [1, 6, 6, 4], 'float32');
  const add = b.tensor('add', [1, 6, 6, 4], 'float32');
  const maxPool = b.tensor('maxpool', [1, 3, 3, 4], 'float32');
  const avgPool = b.tensor('avgpool', [1, 1, 1, 4], 'float32');
  const shape = b.tensor('shape', [2], 'int32', undefined, Int32Array.of(1, 4));
  const flat = b.tensor('flat', [1, 4], 'float32');
  const fcWeights = b.tensor('fc/w', [5, 4], 'float32', undefined, random(20, 2));
  const fcBias = b.tensor('fc/b', [5], 'float32', undefined, random(5, 0.5));
  const logits = b.tensor('logits', [1, 5], 'float32');
  const probs = b.tensor('probs', [1, 5], 'float32');
  const conv2d = { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 } as const;
  b.op({ type: 'CONV_2D', inputs: [input, convWeights, convBias], outputs: [conv], options: { ...conv2d, activation: 'RELU' } });
  b.op({ type: 'DEPTHWISE_CONV_2D', inputs: [conv, dwWeights, dwBias], outputs: [dw], options: { ...conv2d, activation: 'NONE', depthMultiplier: 1 } });
  b.op({ type: 'ADD', inputs: [conv, dw], outputs: [add], options: { activation: 'RELU' } });
  b.op({ type: 'MAX_POOL_2D', inputs: [add], outputs: [maxPool], options: { padding: 'VALID', strideH: 2, strideW: 2, filterH: 2, filterW: 2, activation: 'NONE' } });
  b.op({ type: 'AVERAGE_POOL_2D', inputs: [maxPool], outputs: [avgPool], options: { padding: 'VALID', strideH: 3, strideW: 3, filterH: 3, filterW: 3, activation: 'NONE' } });
  b.op({ type: 'RESHAPE', inputs: [avgPool, shape], outputs: [flat], options: {} });
  b.op({ type: 'FULLY_CONNECTED', inputs: [flat, fcWeights, fcBias], outputs: [logits], options: { activation: 'NONE', keepNumDims: false } });
  b.op({ type: 'SOFTMAX', inputs: [logits], outputs: [probs], options: { beta: 1 } });
  return b.build([input], [probs], 'small-cnn');
}

function samplesFor(count: number, seed: number): Float32Array[] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: 6 * 6 * 3 }, () => rng() * 4 - 1));
}

function tensorId(g: Graph, name: string): number {
  const t = g.tensors.find((x) => x.name === name);
  if (!t) throw new Error(`no tensor '${name}'`);
  return t.id;
}

function quantizeInput(x: Float32Array, scale: number, zeroPoint: number): Int8Array {
  return Int8Array.from(x, (v) => Math.max(-128, Math.min(127, Math.round(v / scale) + zeroPoint)));
}

describe('quantizeFloatModel on a small CNN', () => {
  const float = smallFloatGraph();
  const calibration = samplesFor(30, 1);
  const { graph: q, ranges } = quantizeFloatModel(float, calibration);

  test('calibration records every float activation, graph input included', () => {
    const measured = calibrate(float, calibration);
    const activations = float.tensors.filter((t) => t.dtype === 'float32' && !t.data).map((t) => t.id);
    expect([...measured.keys()].sort((a, b) => a - b)).toEqual(activations);
    expect(measured.get(tensorId(float, 'conv'))!.min).toBe(0); // fused RELU: the range is post-activation
    expect(ranges.map((r) => r.id).sort((a, b) => a - b)).toEqual(activations);
    const inputRange = measured.get(tensorId(float, 'input'))!;
    expect(inputRange.min).toBeGreaterThanOrEqual(-1);
    expect(inputRange.max).toBeLessThanOrEqual(3);
  });

  test('int8 activations, per-channel int8 weights, int32 biases, TFLite op versions', () => {
    for (const id of [...q.inputs, ...q.outputs]) expect(q.tensors[id].dtype).toBe('int8');
    const conv = q.tensors[tensorId(q, 'conv/w')];
    expect(conv.dtype).toBe('int8');
    expect(conv.quant!.axis).toBe(0);
    expect(conv.quant!.scale.length).toBe(4);
    expect(conv.quant!.scale[3]).toBe(1); // the all-zero channel
    expect(q.tensors[tensorId(q, 'dw/w')].quant!.axis).toBe(3);
    expect(q.tensors[tensorId(q, 'fc/w')].quant!.scale.length).toBe(5);
    for (const [bias, input, weights] of [['conv/b', 'input', 'conv/w'], ['dw/b', 'conv', 'dw/w'], ['fc/b', 'flat', 'fc/w']]) {
      const bt = q.tensors[tensorId(q, bias)];
      const inScale = q.tensors[tensorId(q, input)].quant!.scale[0];
      const wScale = q.tensors[tensorId(q, weights)].quant!.scale;
      expect(bt.dtype).toBe('int32');
      expect(Array.from(bt.quant!.scale)).toEqual(Array.from(wScale, (s) => f(f(inScale) * f(s))));
      expect(Array.from(bt.quant!.zeroPoint).every((z) => z === 0)).toBe(true);
    }
    expect(q.tensors[tensorId(q, 'shape')].dtype).toBe('int32'); // operands stay as they are
    expect(Object.fromEntries(q.ops.map((op) => [op.type, op.version]))).toMatchObject({ CONV_2D: 3, DEPTHWISE_CONV_2D: 3, FULLY_CONNECTED: 4, ADD: 2, SOFTMAX: 2 });
  });

  test('pools and reshape share their input params; softmax is fixed; ADD gets its own', () => {
    const params = (name: string) => {
      const t = q.tensors[tensorId(q, name)];
      return [t.quant!.scale[0], t.quant!.zeroPoint[0]];
    };
    expect(params('maxpool')).toEqual(params('add'));
    expect(params('avgpool')).toEqual(params('add'));
    expect(params('flat')).toEqual(params('add'));
    expect(params('probs')).toEqual([1 / 256, -128]);
    const report = (name: string) => ranges.find((r) => r.name === name)!;
    expect(report('avgpool')).toMatchObject({ source: 'shared', from: 'maxpool' });
    expect(report('probs')).toMatchObject({ source: 'fixed', from: 'SOFTMAX' });
    const add = report('add');
    expect(add.source).toBe('calibrated');
    expect({ scale: add.scale, zeroPoint: add.zeroPoint }).toEqual(activationParams(add.min, add.max));
  });

  test('the int8 model tracks the float model on unseen inputs', () => {
    const inQ = q.tensors[q.inputs[0]].quant!;
    const logitsId = tensorId(q, 'logits');
    const logitsQ = q.tensors[logitsId].quant!;
    let worst = 0;
    let agree = 0;
    const tests = samplesFor(20, 2);
    for (const x of tests) {
      const fl = runReferenceAll(float, [x]).get(logitsId) as Float32Array;
      const ql = runReferenceAll(q, [quantizeInput(x, inQ.scale[0], inQ.zeroPoint[0])]).get(logitsId) as Int8Array;
      const deq = dequantizeTensor(ql, [1, 5], logitsQ);
      fl.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - deq[i]))));
      const argmax = (a: ArrayLike<number>) => Array.from(a).indexOf(Math.max(...Array.from(a)));
      if (argmax(fl) === argmax(deq)) agree++;
    }
    const range = ranges.find((r) => r.name === 'logits')!;
    // About 4 int8 steps of the logits measured; 7 allowed (errors accumulate through four layers).
    expect(worst).toBeLessThan(0.03 * (range.max - range.min));
    expect(agree).toBeGreaterThanOrEqual(18);
  });

  test('exports to .tflite and imports back unchanged', () => {
    const bytes = exportTflite(q);
    const back = importTflite(bytes, 'back');
    expect(back.ops.map((op) => [op.type, op.version, op.inputs, op.outputs])).toEqual(q.ops.map((op) => [op.type, op.version, op.inputs, op.outputs]));
    back.tensors.forEach((t, i) => {
      const src = q.tensors[i];
      expect([t.name, t.dtype, t.shape]).toEqual([src.name, src.dtype, src.shape]);
      expect(t.data ? Array.from(t.data) : undefined).toEqual(src.data ? Array.from(src.data) : undefined);
      if (src.quant) expect(Array.from(t.quant!.scale)).toEqual(Array.from(src.quant.scale, f));
    });
  });

  test('--per-tensor: one scale per weight tensor', () => {
    const perTensor = quantizeWithRanges(float, calibrate(float, calibration), { perTensor: true }).graph;
    for (const name of ['conv/w', 'dw/w', 'fc/w', 'conv/b']) expect(perTensor.tensors[tensorId(perTensor, name)].quant!.scale.length).toBe(1);
  });

  test('floatIO: QUANTIZE and DEQUANTIZE at the ends, float32 in and out', () => {
    const { graph: io, tflite } = quantizeFloatModelToTflite(float, calibration, { floatIO: true });
    expect(io.ops[0].type).toBe('QUANTIZE');
    expect(io.ops.at(-1)!.type).toBe('DEQUANTIZE');
    expect(io.ops.map((op) => op.index)).toEqual(io.ops.map((_, i) => i));
    const input = io.tensors[io.inputs[0]];
    const output = io.tensors[io.outputs[0]];
    expect([input.name, input.dtype, output.name, output.dtype]).toEqual(['input', 'float32', 'probs', 'float32']);
    const x = samplesFor(1, 3)[0];
    const back = importTflite(tflite, 'io');
    const viaFloat = runReferenceAll(back, [x]).get(back.outputs[0]) as Float32Array;
    const inQ = q.tensors[q.inputs[0]].quant!;
    const viaInt8 = runReferenceAll(q, [quantizeInput(x, inQ.scale[0], inQ.zeroPoint[0])]).get(q.outputs[0]) as Int8Array;
    expect(Array.from(viaFloat)).toEqual(Array.from(dequantizeTensor(viaInt8, [1, 5], q.tensors[q.outputs[0]].quant!)));
  });
});

describe('bad calibration input', () => {
  const float = smallFloatGraph();
  const expectError = (samples: unknown, message: RegExp) => {
    const run = () => quantizeFloatModel(float, samples as Float32Array[]);
    expect(run).toThrow(QuantizeError);
    expect(run).toThrow(message);
  };

  test('empty list', () => expectError([], /no calibration inputs/));
  test('wrong length', () => expectError([new Float32Array(108), new Float32Array(100)], /sample 1, input 'input' .*shape \[1, 6, 6, 3\].*got 100 values, expected 108/));
  test('wrong type', () => expectError([new Uint8Array(108)], /sample 0, input 'input'.*expected a Float32Array, got Uint8Array/));
  test('wrong number of tensors', () => expectError([[new Float32Array(108), new Float32Array(108)]], /sample 0 has 2 tensors, but graph 'small-cnn' takes 1 input/));
  test('non-finite values', () => {
    const x = new Float32Array(108);
    x[5] = NaN;
    expectError([x], /sample 0, input 'input'.*element 5 is NaN/);
  });
  test('an op TFLite has no int8 kernel for is refused by name, before calibration runs', () => {
    for (const type of ['SQRT', 'NEG', 'DIV'] as const) {
      const b = new GraphBuilder();
      const x = b.tensor('x', [1, 4], 'float32');
      const y = b.tensor('y', [1, 4], 'float32');
      if (type === 'DIV') {
        const two = b.tensor('two', [1], 'float32', undefined, new Float32Array([2]));
        b.op({ type, inputs: [x, two], outputs: [y], options: { activation: 'NONE' } });
      } else {
        b.op({ type, inputs: [x], outputs: [y], options: {} });
      }
      const g = b.build([x], [y], type);
      expect(() => quantizeFloatModel(g, [new Float32Array([1, 2, 3, 4])])).toThrow(new RegExp(`operator 0 is ${type}, which TFLite has no int8 kernel for`));
    }
  });
  test('a model that is already int8', () => {
    const int8 = quantizeFloatModel(float, samplesFor(2, 1)).graph;
    expect(() => quantizeFloatModel(int8, samplesFor(1, 1))).toThrow(/graph input 'input' is int8; quantization starts from a float model/);
  });
});
