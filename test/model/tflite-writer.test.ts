import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { importTflite } from '../../src/model/import.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { ModelFormatError } from '../../src/model/errors.ts';
import type { Graph } from '../../src/model/graph.ts';

const ROUND_TRIP_MODELS = [
  'tflite-micro/hello_world_int8.tflite',
  'tflite-micro/person_detect.tflite',
  'tflite-micro/micro_speech_quantized.tflite',
  'tflite-micro/mobilenet_v2_quantized_1x3x224x224.tflite', // PAD, TRANSPOSE, MEAN
  'coral/tf2_mobilenet_v2_1.0_224_ptq.tflite', // QUANTIZE, per-channel int8
  'coral/mobilenet_v1_0.25_128_quant.tflite', // legacy uint8
  'mlperf-tiny/kws_ref_model_float32.tflite', // hybrid int8 weights, float activations
  'tflite-support/mobilenet_v1_0.25_224_1_default_1.tflite', // float, SQUEEZE
];

// Raw navigation (independent of the importer) for checking the written layout.
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
function fieldAt(b: Uint8Array, table: number, id: number): number {
  const v = view(b);
  const vtable = table - v.getInt32(table, true);
  const slot = 4 + 2 * id;
  if (slot >= v.getUint16(vtable, true)) return 0;
  const rel = v.getUint16(vtable + slot, true);
  return rel ? table + rel : 0;
}
const deref = (b: Uint8Array, pos: number) => pos + view(b).getUint32(pos, true);

/**
 * Deep equality of two graphs. Constant data is compared with Buffer.equals: vitest's generic
 * deep equality takes tens of seconds on megabytes of typed-array elements.
 */
function expectSameGraph(actual: Graph, expected: Graph): void {
  expect(actual.tensors.length).toBe(expected.tensors.length);
  actual.tensors.forEach((t, i) => {
    const want = expected.tensors[i].data;
    expect(t.data === undefined, `tensor ${i} constness`).toBe(want === undefined);
    if (t.data && want) expect(Buffer.from(t.data).equals(Buffer.from(want)), `tensor ${i} data`).toBe(true);
  });
  const withoutData = (g: Graph) => ({ ...g, tensors: g.tensors.map(({ data, ...t }) => ({ ...t, dataBytes: data?.length })) });
  expect(withoutData(actual)).toStrictEqual(withoutData(expected));
}

describe.each(ROUND_TRIP_MODELS)('%s', (rel) => {
  test('importTflite(exportTflite(g)) equals g, and re-export is byte-identical', () => {
    const original = importTflite(new Uint8Array(readFileSync(assetPath('models', rel))), rel);
    const written = exportTflite(original);
    const reimported = importTflite(written, rel);
    expectSameGraph(reimported, original);
    expect(Buffer.from(exportTflite(reimported)).equals(Buffer.from(written))).toBe(true);
  });
});

test('expectSameGraph notices a one-byte difference in constant data', () => {
  const g = importTflite(new Uint8Array(readFileSync(assetPath('models', 'tflite-micro/hello_world_int8.tflite'))));
  const h = importTflite(exportTflite(g));
  h.tensors.find((t) => t.data)!.data![0] ^= 1;
  expect(() => expectSameGraph(h, g)).toThrow(/data/);
});

test('layout: TFL3, version 3, buffer 0 empty, buffer data 16-byte aligned', () => {
  const g = importTflite(new Uint8Array(readFileSync(assetPath('models', 'tflite-micro/person_detect.tflite'))));
  const b = exportTflite(g);
  expect(new TextDecoder().decode(b.subarray(4, 8))).toBe('TFL3');
  const root = deref(b, 0);
  expect(view(b).getUint32(fieldAt(b, root, 0), true)).toBe(3);
  const buffers = deref(b, fieldAt(b, root, 4));
  const count = view(b).getUint32(buffers, true);
  expect(count).toBe(1 + g.tensors.filter((t) => t.data).length);
  const buffer0 = deref(b, buffers + 4);
  expect(fieldAt(b, buffer0, 0)).toBe(0);
  for (let i = 1; i < count; i++) {
    const data = deref(b, fieldAt(b, deref(b, buffers + 4 + 4 * i), 0));
    expect((data + 4) % 16).toBe(0); // elements start after the length word
  }
  // Both op-code fields are filled, as the converter does (old runtimes read only the byte).
  const code0 = deref(b, deref(b, fieldAt(b, root, 1)) + 4);
  const op0 = g.ops[0];
  const byte = fieldAt(b, code0, 0);
  expect(byte ? view(b).getInt8(byte) : 0).toBe(op0.type === 'DEPTHWISE_CONV_2D' ? 4 : 3);
  expect(view(b).getInt32(fieldAt(b, code0, 3), true)).toBe(byte ? view(b).getInt8(byte) : 0);
});

/** One int8 per-channel CONV_2D: x[1,5,5,3] * w[4,3,3,3] + b[4] → y[1,3,3,4], VALID, stride 1, ReLU6. */
function tinyConv(): Graph {
  const w = new Int8Array(4 * 3 * 3 * 3).map((_, i) => ((i * 37) % 255) - 127);
  const bias = new Int32Array([100, -200, 300, -400]);
  const wScale = new Float64Array([0.5, 0.25, 0.125, 2 ** -10]);
  return {
    name: 'tiny-conv',
    description: 'hand-written',
    tensors: [
      { id: 0, name: 'x', shape: [1, 5, 5, 3], dtype: 'int8', quant: { scale: new Float64Array([0.5]), zeroPoint: new Int32Array([-3]), axis: 0 } },
      { id: 1, name: 'w', shape: [4, 3, 3, 3], dtype: 'int8', quant: { scale: wScale, zeroPoint: new Int32Array(4), axis: 0 }, data: new Uint8Array(w.buffer) },
      { id: 2, name: 'b', shape: [4], dtype: 'int32', quant: { scale: wScale.map((s) => s * 0.5), zeroPoint: new Int32Array(4), axis: 0 }, data: new Uint8Array(bias.buffer) },
      { id: 3, name: 'y', shape: [1, 3, 3, 4], dtype: 'int8', quant: { scale: new Float64Array([0.0625]), zeroPoint: new Int32Array([-128]), axis: 0 } },
    ],
    ops: [
      {
        index: 0, type: 'CONV_2D', version: 3, inputs: [0, 1, 2], outputs: [3],
        options: { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU6' },
      },
    ],
    inputs: [0],
    outputs: [3],
  };
}

test('a hand-written one-CONV_2D graph re-imports unchanged', () => {
  const g = tinyConv();
  expect(importTflite(exportTflite(g))).toStrictEqual(g);
});

test('every option field survives: strides, dilations, SAME padding, depth multiplier, keepNumDims', () => {
  const g = tinyConv();
  g.ops[0].options = { padding: 'SAME', strideH: 2, strideW: 3, dilationH: 2, dilationW: 1, activation: 'RELU' };
  expect(importTflite(exportTflite(g)).ops[0].options).toEqual(g.ops[0].options);
  const dw: Graph = {
    ...tinyConv(),
    ops: [{
      index: 0, type: 'DEPTHWISE_CONV_2D', version: 2, inputs: [0, 1, 2], outputs: [3],
      options: { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE', depthMultiplier: 3 },
    }],
  };
  expect(importTflite(exportTflite(dw)).ops[0]).toEqual(dw.ops[0]);
});

test('scales are stored as float32: an unrepresentable scale comes back rounded', () => {
  const g = tinyConv();
  g.tensors[3].quant!.scale[0] = 0.1;
  expect(importTflite(exportTflite(g)).tensors[3].quant!.scale[0]).toBe(Math.fround(0.1));
});

test('inconsistent graphs are refused with a typed error naming the tensor', () => {
  const g = tinyConv();
  g.tensors[1].data = new Uint8Array(5);
  expect(() => exportTflite(g)).toThrow(ModelFormatError);
  expect(() => exportTflite(g)).toThrow("tensor 1 'w': constant data is 5 bytes but shape [4,3,3,3] of int8 needs 108");
});
