import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { importTflite, importTfliteListing } from '../../src/model/import.ts';
import { formatSummary, inspectGraph } from '../../src/model/inspect.ts';
import { UnsupportedOpError } from '../../src/model/errors.ts';
import { gpuPlacement } from '../../src/kernels/registry.ts';
import { UNSUPPORTED_MODEL_OPERATORS, UNSUPPORTED_MODEL_OPS, UNSUPPORTED_MODEL_REFUSED, unsupportedModelBytes } from '../helpers/unsupported-model.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import type { Graph } from '../../src/model/graph.ts';

function fcGraph(): Graph {
  // x[1,8] int8 → FULLY_CONNECTED(w[4,8] int8, b[4] int32) → y[1,4] int8 → RESHAPE(shape[2] int32 const) → z[4]
  const q = (s: number) => ({ scale: new Float64Array([s]), zeroPoint: new Int32Array([0]), axis: 0 });
  return {
    name: 'fc', description: '',
    tensors: [
      { id: 0, name: 'x', shape: [1, 8], dtype: 'int8', quant: q(0.5) },
      { id: 1, name: 'w', shape: [4, 8], dtype: 'int8', quant: q(0.25), data: new Uint8Array(32) },
      { id: 2, name: 'b', shape: [4], dtype: 'int32', quant: q(0.125), data: new Uint8Array(16) },
      { id: 3, name: 'y', shape: [1, 4], dtype: 'int8', quant: q(1) },
      { id: 4, name: 'shape', shape: [1], dtype: 'int32', data: new Uint8Array(4) },
      { id: 5, name: 'z', shape: [4], dtype: 'int8', quant: q(1) },
    ],
    ops: [
      { index: 0, type: 'FULLY_CONNECTED', version: 1, inputs: [0, 1, 2], outputs: [3], options: { activation: 'NONE', keepNumDims: false } },
      { index: 1, type: 'RESHAPE', version: 1, inputs: [3, 4], outputs: [5], options: {} },
    ],
    inputs: [0], outputs: [5],
  };
}

test('counts parameters (weights and biases, not shape operands) and their bytes', () => {
  const s = inspectGraph(fcGraph());
  expect(s.opCount).toBe(2);
  expect(s.opTypeCounts).toEqual([{ type: 'FULLY_CONNECTED', count: 1 }, { type: 'RESHAPE', count: 1 }]);
  expect(s.parameterCount).toBe(32 + 4);
  expect(s.weightBytesStored).toBe(32 + 16);
  expect(s.weightBytesFloat32).toBe(36 * 4);
  expect(s.activationBytesUnshared).toBe(8 + 4 + 4);
  expect(s.inputs).toEqual([{ id: 0, name: 'x', shape: [1, 8], dtype: 'int8', quant: 'per-tensor scale=0.5 zp=0' }]);
  expect(s.tensors[4]).toMatchObject({ constant: true, quant: 'none', bytes: 4 });
});

test('MobileNet v2 (int8 per-channel): ~3.5 M parameters, weights about 4x smaller than float32', () => {
  const g = importTflite(new Uint8Array(readFileSync(assetPath('models', 'coral/tf2_mobilenet_v2_1.0_224_ptq.tflite'))));
  const s = inspectGraph(g);
  expect(s.parameterCount).toBeGreaterThan(3.4e6);
  expect(s.parameterCount).toBeLessThan(3.6e6);
  const ratio = s.weightBytesFloat32 / s.weightBytesStored;
  expect(ratio).toBeGreaterThan(3.5); // int32 biases keep it just under 4
  expect(ratio).toBeLessThan(4);
  expect(s.opTypeCounts[0].type).toBe('CONV_2D');
  const conv = g.ops.find((op) => op.type === 'CONV_2D')!;
  expect(s.tensors[conv.inputs[1]].quant).toMatch(/^per-channel axis=0 \(\d+ channels\)$/);

  const text = formatSummary(s);
  expect(text).toContain('input ');
  expect(text).toMatch(/\[1,224,224,3\]\s+uint8/);
  expect(text).toMatch(/CONV_2D\s+\d+/);
  expect(text).toMatch(/weights: [\d.]+ MiB stored, [\d.]+ MiB as float32 \(3\.\d\dx\)/);
  expect(text.split('\n').length).toBeGreaterThan(g.tensors.length);
});

test('a model Octet cannot run is listed whole: every operator with where it would run, all unsupported ops named', () => {
  const listing = importTfliteListing(unsupportedModelBytes(), 'unsupported');
  const s = inspectGraph(listing, (op) => gpuPlacement(listing, op));
  // Three unsupported ops (LSTM twice), all named.
  const unsupported = UNSUPPORTED_MODEL_OPS;
  expect(s.unsupportedOps).toEqual(unsupported);
  expect(s.operators).toHaveLength(UNSUPPORTED_MODEL_OPERATORS);
  expect(s.operators.map((o) => o.index)).toEqual(listing.ops.map((_, i) => i));
  const notSupported = s.operators.filter((o) => o.runsOn === 'not supported');
  expect(notSupported).toHaveLength(UNSUPPORTED_MODEL_REFUSED);
  for (const o of notSupported) expect(o.reason).toBeTruthy();
  // A readable op between them runs on its GPU path.
  expect(s.operators[1]).toMatchObject({ op: 'RELU', runsOn: 'int8 GPU' });
  const text = formatSummary(s);
  expect(text).toContain(`not supported: ${unsupported.join(', ')} (${UNSUPPORTED_MODEL_REFUSED} of ${UNSUPPORTED_MODEL_OPERATORS} operators)`);
  expect(text).toMatch(/\n0\s+LSTM\s+1\s+not supported\s+Octet has no kernel for this op/);
});

test('placement: float ops on the float path, QUANTIZE on the int8 path, a float op without a float kernel refused', () => {
  const blaze = importTflite(new Uint8Array(readFileSync(assetPath('models', 'corpus', 'openmv_blazeface_front_128.tflite'))), 'blaze');
  const s = inspectGraph(blaze, (op) => gpuPlacement(blaze, op));
  expect(s.unsupportedOps).toEqual([]);
  expect(s.operators[0]).toMatchObject({ op: 'QUANTIZE', runsOn: 'int8 GPU' });
  const hello = importTflite(new Uint8Array(readFileSync(assetPath('models', 'tflite-micro', 'hello_world_float.tflite'))), 'hello');
  expect(inspectGraph(hello, (op) => gpuPlacement(hello, op)).operators.every((o) => o.runsOn === 'float GPU')).toBe(true);
  const q = { scale: new Float64Array([0.5]), zeroPoint: new Int32Array([0]), axis: 0 };
  const floatQuantize: Graph = {
    name: 'dq', description: '',
    tensors: [
      { id: 0, name: 'x', shape: [4], dtype: 'int8', quant: q },
      { id: 1, name: 'y', shape: [4], dtype: 'float32' },
      { id: 2, name: 'z', shape: [4], dtype: 'float32' },
    ],
    ops: [
      { index: 0, type: 'DEQUANTIZE', version: 1, inputs: [0], outputs: [1], options: {} },
      { index: 1, type: 'DEQUANTIZE', version: 1, inputs: [1], outputs: [2], options: {} },
    ],
    inputs: [0], outputs: [2],
  };
  expect(inspectGraph(floatQuantize, (op) => gpuPlacement(floatQuantize, op)).operators.map((o) => [o.runsOn, o.reason])).toEqual([
    ['int8 GPU', undefined],
    ['not supported', 'no float32 GPU kernel for DEQUANTIZE'],
  ]);
});

test('OctetModel.load names every unsupported op of a model in one error', async () => {
  const load = OctetModel.load(unsupportedModelBytes(), { backend: 'cpu' });
  await expect(load).rejects.toThrow(UnsupportedOpError);
  await expect(load).rejects.toThrow(/^unsupported ops LSTM, SVDF, RNN \(4 operators\): LSTM \(version \d\) at operators 0, 4; SVDF .*RNN .*$/);
});

test("placement: SSD MobileNet v1's TFLite_Detection_PostProcess on the 'host', after the GPU program", () => {
  const ssd = importTflite(new Uint8Array(readFileSync(assetPath('models', 'corpus', 'tfls_coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite'))), 'ssd');
  const s = inspectGraph(ssd, (op) => gpuPlacement(ssd, op));
  expect(s.unsupportedOps).toEqual([]);
  expect(s.operators.slice(0, -1).every((o) => o.runsOn === 'int8 GPU')).toBe(true);
  expect(s.operators.at(-1)).toMatchObject({ index: 63, op: 'DETECTION_POSTPROCESS', runsOn: 'host', reason: 'on the CPU after the GPU program, on its read-back inputs' });
  expect(s.outputs.map((o) => o.shape)).toEqual([[1, 10, 4], [1, 10], [1, 10], [1]]);
});
