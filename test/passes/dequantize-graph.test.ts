// dequantizeGraph: the float32 twin of an 8-bit or hybrid graph keeps every tensor id, turns
// quantized constants into their real values (per channel), drops quantization from activations,
// turns QUANTIZE/DEQUANTIZE into copies (or folds them on constants), and computes what the 8-bit
// graph computes up to its rounding. All on the CPU reference.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { activationImpliedByRange, dequantizeGraph, dequantizeInputs, dequantizeTensorValues, quantizeOutputs } from '../../src/passes/dequantize-graph.ts';
import type { Graph } from '../../src/model/graph.ts';
import { importTflite } from '../../src/model/import.ts';
import { constantData } from '../../src/quant/tensor.ts';
import { runReference, runReferenceAll } from '../../src/reference/run.ts';
import { GraphBuilder, quant } from '../helpers/graphs.ts';
import { mulberry32, randInt } from '../helpers/rng.ts';
import { corpusEntries, readCorpusTensor } from '../helpers/corpus.ts';

const IN_SCALE = 0.05;
const IN_ZP = -3;
const W_SCALES = [0.01, 0.02];
const MID_SCALE = 0.1;
const OUT_SCALE = 1;
const W2_SCALE = 0.005;

/**
 * float input → QUANTIZE → CONV_2D (per-channel int8 weights, bias with its own params, RELU)
 * → CONV_2D (per-tensor weights, bias without params) → DEQUANTIZE → float output.
 */
function quantizedGraph(): Graph {
  const rng = mulberry32(42);
  const b = new GraphBuilder();
  const input = b.tensor('input', [1, 4, 4, 3], 'float32');
  const q = b.tensor('input_q', [1, 4, 4, 3], 'int8', quant(IN_SCALE, IN_ZP));
  const w1 = b.tensor('w1', [2, 1, 1, 3], 'int8', quant(W_SCALES, [0, 0], 0), Int8Array.from({ length: 6 }, () => randInt(rng, -127, 127)));
  const b1 = b.tensor('b1', [2], 'int32', quant(W_SCALES.map((s) => s * IN_SCALE), [0, 0], 0), Int32Array.from([120, -340]));
  const mid = b.tensor('mid', [1, 4, 4, 2], 'int8', quant(MID_SCALE, -128));
  const w2 = b.tensor('w2', [3, 3, 3, 2], 'int8', quant(W2_SCALE, 0), Int8Array.from({ length: 54 }, () => randInt(rng, -127, 127)));
  const b2 = b.tensor('b2', [3], 'int32', undefined, Int32Array.from([1000, -2000, 30]));
  const out = b.tensor('out', [1, 4, 4, 3], 'int8', quant(OUT_SCALE, 5));
  const outF = b.tensor('output', [1, 4, 4, 3], 'float32');
  const conv = { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 } as const;
  b.op({ type: 'QUANTIZE', inputs: [input], outputs: [q], options: {} });
  b.op({ type: 'CONV_2D', inputs: [q, w1, b1], outputs: [mid], options: { ...conv, activation: 'RELU' } });
  b.op({ type: 'CONV_2D', inputs: [mid, w2, b2], outputs: [out], options: { ...conv, activation: 'NONE' } });
  b.op({ type: 'DEQUANTIZE', inputs: [out], outputs: [outF], options: {} });
  return b.build([input], [outF], 'tiny int8');
}

function floats(g: Graph, id: number): Float32Array {
  return constantData(g.tensors[id]!) as Float32Array;
}

describe('dequantizeGraph', () => {
  it('keeps every tensor id, name and shape, and leaves the original graph alone', () => {
    const original = quantizedGraph();
    const snapshot = JSON.stringify(original, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v));
    const float = dequantizeGraph(original);
    expect(float.tensors.map((t) => [t.id, t.name, t.shape])).toEqual(original.tensors.map((t) => [t.id, t.name, t.shape]));
    expect(float.inputs).toEqual(original.inputs);
    expect(float.outputs).toEqual(original.outputs);
    expect(JSON.stringify(original, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v))).toBe(snapshot);
  });

  it('dequantizes weights per channel and biases with their own or the implied scale', () => {
    const original = quantizedGraph();
    const float = dequantizeGraph(original);
    const w1 = constantData(original.tensors[2]!) as Int8Array;
    const expectedW1 = Array.from(w1, (q, i) => Math.fround(q * Math.fround(W_SCALES[Math.floor(i / 3)]!)));
    expect(Array.from(floats(float, 2))).toEqual(expectedW1);
    const b1 = Array.from(floats(float, 3));
    [120, -340].forEach((q, c) => expect(b1[c]).toBeCloseTo(q * W_SCALES[c]! * IN_SCALE, 6));
    // b2 has no parameters: TFLite's bias scale is input_scale × weight_scale.
    const b2 = Array.from(floats(float, 6));
    [1000, -2000, 30].forEach((q, c) => expect(b2[c]).toBeCloseTo(q * MID_SCALE * Math.fround(W2_SCALE), 6));
    for (const id of [2, 3, 5, 6]) {
      expect(float.tensors[id]!.dtype).toBe('float32');
      expect(float.tensors[id]!.quant).toBeUndefined();
    }
  });

  it('makes 8-bit activations float32 without parameters and QUANTIZE/DEQUANTIZE copies with the same ids', () => {
    const original = quantizedGraph();
    const float = dequantizeGraph(original);
    for (const id of [1, 4, 7]) {
      const t = float.tensors[id]!;
      expect([t.dtype, t.data, t.quant]).toEqual(['float32', undefined, undefined]);
    }
    expect(float.ops.map((o) => [o.index, o.type, o.inputs, o.outputs])).toEqual([
      [0, 'RESHAPE', [0], [1]],
      [1, 'CONV_2D', [1, 2, 3], [4]],
      [2, 'CONV_2D', [4, 5, 6], [7]],
      [3, 'RESHAPE', [7], [8]],
    ]);
  });

  it('computes what the int8 graph computes, up to its rounding', () => {
    const original = quantizedGraph();
    const float = dequantizeGraph(original);
    const rng = mulberry32(7);
    // Inputs on the input quantization grid, so QUANTIZE is exact and only the convolutions'
    // requantization (half a step of each output) separates the two graphs.
    // Inputs kept small enough that no layer saturates its int8 range, which float does not.
    const input = Float32Array.from({ length: 48 }, () => IN_SCALE * (randInt(rng, -40, 40) - IN_ZP));
    const int8All = runReferenceAll(original, [input]);
    const floatAll = runReferenceAll(float, dequantizeInputs(original, [input]));
    const midInt8 = dequantizeTensorValues(original, 4, int8All.get(4)!);
    const midFloat = floatAll.get(4) as Float32Array;
    midFloat.forEach((v, i) => expect(Math.abs(v - midInt8[i]!)).toBeLessThanOrEqual(MID_SCALE / 2 + 1e-6));
    // The second layer also sees the first layer's rounding: Σ|w2|·MID_SCALE/2 bounds it.
    const w2 = floats(float, 5);
    let worst = 0;
    for (let oc = 0; oc < 3; oc++) {
      let s = 0;
      for (let k = 0; k < 18; k++) s += Math.abs(w2[oc * 18 + k]!);
      worst = Math.max(worst, s);
    }
    const bound = OUT_SCALE / 2 + (worst * MID_SCALE) / 2 + 1e-6;
    const outInt8 = int8All.get(8) as Float32Array;
    const outFloat = floatAll.get(8) as Float32Array;
    expect((int8All.get(7) as Int8Array).every((q) => q > -128 && q < 127)).toBe(true);
    outFloat.forEach((v, i) => expect(Math.abs(v - outInt8[i]!)).toBeLessThanOrEqual(bound));
  });

  it('folds a DEQUANTIZE of constant weights into a float32 constant', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 3, 3, 2], 'float32');
    const wq = b.tensor('wq', [4, 1, 1, 2], 'int8', quant([0.1, 0.2, 0.3, 0.4], [0, 0, 0, 0], 0), Int8Array.from([1, -2, 3, -4, 5, -6, 7, -8]));
    const w = b.tensor('w', [4, 1, 1, 2], 'float32');
    const y = b.tensor('y', [1, 3, 3, 4], 'float32');
    b.op({ type: 'DEQUANTIZE', inputs: [wq], outputs: [w], options: {} });
    b.op({ type: 'CONV_2D', inputs: [x, w, -1], outputs: [y], options: { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' } });
    const original = b.build([x], [y]);
    const float = dequantizeGraph(original);
    expect(float.ops.map((o) => [o.index, o.type])).toEqual([[1, 'CONV_2D']]);
    expect(Array.from(floats(float, w))).toEqual([0.1, -0.2, 0.6, -0.8, 1.5, -1.8, 2.8, -3.2].map((v, i) => Math.fround([1, -2, 3, -4, 5, -6, 7, -8][i]! * Math.fround([0.1, 0.2, 0.3, 0.4][i >> 1]!))));
    const input = Float32Array.from({ length: 18 }, (_, i) => i / 7 - 1);
    const weights = floats(float, w);
    const expected = Array.from({ length: 36 }, (_, i) => {
      const [p, oc] = [Math.floor(i / 4), i % 4];
      return input[2 * p]! * weights[2 * oc]! + input[2 * p + 1]! * weights[2 * oc + 1]!;
    });
    runReference(float, [input])[0]!.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it('converts 8-bit inputs for the float twin and quantizes its outputs back', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [4], 'uint8', quant(0.5, 128));
    const y = b.tensor('y', [4], 'int8', quant(0.25, -10));
    b.op({ type: 'RELU', inputs: [x], outputs: [y], options: {} });
    const original = b.build([x], [y]);
    expect(Array.from(dequantizeInputs(original, [Uint8Array.from([0, 127, 128, 255])])[0]!)).toEqual([-64, -0.5, 0, 63.5]);
    expect(Array.from(quantizeOutputs(original, [Float32Array.from([0, 1.1, -100, 100])])[0]!)).toEqual([-10, -6, -128, 127]);
    expect(dequantizeGraph(original).tensors.map((t) => t.dtype)).toEqual(['float32', 'float32']);
  });

  it('dequantizes a hybrid model’s int8 weights (kws_ref_model_float32) without changing its results', () => {
    const original = importTflite(new Uint8Array(readFileSync(assetPath('models', 'mlperf-tiny', 'kws_ref_model_float32.tflite'))), 'kws');
    const float = dequantizeGraph(original);
    for (const op of float.ops) {
      for (const id of op.inputs.slice(1)) {
        if (id < 0) continue;
        const t = float.tensors[id]!;
        if (op.type === 'RESHAPE') expect(t.dtype).toBe('int32');
        else expect([t.name, t.dtype, t.quant]).toEqual([t.name, 'float32', undefined]);
      }
    }
    // The reference runs hybrid weights by dequantizing them the same way, so the two agree exactly.
    const input = Float32Array.from({ length: 490 }, (_, i) => Math.sin(i) * 20);
    expect(Array.from(runReference(float, [input])[0]!)).toEqual(Array.from(runReference(original, [input])[0]!));
  });

  it('names the activation an 8-bit output range stands for', () => {
    const t = (dtype: 'int8' | 'uint8', scale: number, zp: number) => ({ id: 0, name: 't', shape: [1], dtype, quant: quant(scale, zp) });
    expect(activationImpliedByRange(t('uint8', 6 / 255, 0))).toBe('RELU6');
    expect(activationImpliedByRange(t('int8', 6 / 255, -128))).toBe('RELU6');
    expect(activationImpliedByRange(t('uint8', 0.0235, 0))).toBe('RELU6'); // 5.99: within a step of 6
    expect(activationImpliedByRange(t('uint8', 0.1, 0))).toBe('RELU'); // [0, 25.5]
    expect(activationImpliedByRange(t('int8', 1 / 127.5, -1))).toBe('RELU_N1_TO_1'); // [-0.996, 1.004]
    expect(activationImpliedByRange(t('uint8', 6 / 255, 1))).toBeUndefined(); // starts one step below 0
    expect(activationImpliedByRange(t('int8', 0.05, 3))).toBeUndefined();
    expect(activationImpliedByRange({ ...t('int8', 6 / 255, -128), dtype: 'float32' })).toBeUndefined();
  });

  it('clamps where the 8-bit graph clamps only through its output range (fused activation NONE, range [0, 6])', () => {
    const b = new GraphBuilder();
    const input = b.tensor('input', [1, 1, 1, 2], 'int8', quant(0.1, 0));
    const w = b.tensor('w', [3, 1, 1, 2], 'int8', quant(0.1, 0), Int8Array.from([100, 0, -100, 0, 0, 30]));
    const out = b.tensor('out', [1, 1, 1, 3], 'int8', quant(6 / 255, -128));
    b.op({ type: 'CONV_2D', inputs: [input, w, -1], outputs: [out], options: { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' } });
    const original = b.build([input], [out], 'implied relu6');
    const float = dequantizeGraph(original);
    expect(float.ops[0]!.options).toMatchObject({ activation: 'RELU6' });
    expect(original.ops[0]!.options).toMatchObject({ activation: 'NONE' });
    // Input (10, 2) → 100, −100, 6 before the clamp; the int8 graph saturates at 0 and 6.
    const x = Int8Array.from([100, 20]);
    const int8 = dequantizeTensorValues(original, out, runReference(original, [x])[0]!);
    const fl = runReference(float, dequantizeInputs(original, [x]))[0] as Float32Array;
    // All three sit on a clamp edge (6.0000002 in float32 for the last, clamped), so both graphs
    // give exactly 6, 0 and 6 (255 steps of 6/255 above the zero point is 6 in float64 too).
    expect(Array.from(fl)).toEqual([6, 0, 6]);
    expect(Array.from(int8)).toEqual([6, 0, 6]);
  });

  it('COCO SSD MobileNet v1 (ReLU6 only in its output ranges) as float: the same detections as TFLite runs the uint8 model, scores within 0.05', () => {
    const path = 'models/corpus/tfls_coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite';
    const original = importTflite(new Uint8Array(readFileSync(assetPath(...path.split('/')))), 'ssd');
    const float = dequantizeGraph(original);
    const entry = corpusEntries().find((e) => e.model === path && e.case === 'grace_hopper')!;
    const input = readCorpusTensor(entry.inputs[0]!.file, entry.inputs[0]!.dtype);
    // The TFLite runtime's outputs for the uint8 model on this image.
    const [, classes8, scores8, count8] = entry.outputs.map((o) => readCorpusTensor(o.file, o.dtype) as Float32Array);
    const [, classesF, scoresF, countF] = runReference(float, dequantizeInputs(original, [input])) as Float32Array[];
    expect(countF![0]).toBe(count8![0]);
    // Without the implied ReLU6 the float scores saturated at 1.0 and the classes were noise.
    expect(Array.from(classesF!.slice(0, 3))).toEqual(Array.from(classes8!.slice(0, 3)));
    scoresF!.forEach((s, i) => expect(Math.abs(s - scores8![i]!)).toBeLessThanOrEqual(0.05));
    expect(scoresF![0]).toBeGreaterThan(0.5);
  });
});
