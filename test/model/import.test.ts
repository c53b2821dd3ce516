import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { importTflite, importTfliteListing, SUPPORTED_OP_TYPES } from '../../src/model/import.ts';
import { UnsupportedOpError } from '../../src/model/errors.ts';
import { DTYPE_BYTES, isOpaqueOp, tensorElementCount, type DType, type Graph, type OpType } from '../../src/model/graph.ts';

interface Expected {
  input: [DType, number[]];
  output: [DType, number[]];
  ops: OpType[];
}

const C = 'CONV_2D', D = 'DEPTHWISE_CONV_2D', F = 'FULLY_CONNECTED', R = 'RESHAPE', S = 'SOFTMAX', AP = 'AVERAGE_POOL_2D';
const MOBILENET_V1_OPS: OpType[] = [AP, C, D, R, S];
const KWS_OPS: OpType[] = [AP, C, D, F, R, S];
const RESNET_OPS: OpType[] = ['ADD', AP, C, F, R, S];

/** What each asset model must look like after import (shapes from the models' own I/O, op sets as used). */
const EXPECTED: Record<string, Expected> = {
  'coral/mobilenet_quant_v1_224_head_layers.tflite': { input: ['uint8', [1, 1, 1, 1024]], output: ['uint8', [1, 1001]], ops: [C, R, S] },
  'coral/mobilenet_v1_0.25_128_quant.tflite': { input: ['uint8', [1, 128, 128, 3]], output: ['uint8', [1, 1001]], ops: MOBILENET_V1_OPS },
  'coral/mobilenet_v1_0.5_160_quant.tflite': { input: ['uint8', [1, 160, 160, 3]], output: ['uint8', [1, 1001]], ops: MOBILENET_V1_OPS },
  'coral/mobilenet_v1_0.75_192_quant.tflite': { input: ['uint8', [1, 192, 192, 3]], output: ['uint8', [1, 1001]], ops: MOBILENET_V1_OPS },
  'coral/mobilenet_v1_1.0_224_quant_embedding_extractor.tflite': { input: ['uint8', [1, 224, 224, 3]], output: ['uint8', [1, 1, 1, 1024]], ops: [AP, C, D] },
  'coral/mobilenet_v2_1.0_224_quant.tflite': { input: ['uint8', [1, 224, 224, 3]], output: ['uint8', [1, 1001]], ops: ['ADD', AP, C, D, R, S] },
  'coral/tf2_mobilenet_v2_1.0_224_ptq.tflite': { input: ['uint8', [1, 224, 224, 3]], output: ['uint8', [1, 1001]], ops: ['ADD', C, D, 'MEAN', 'QUANTIZE', R, S] },
  'mlperf-tiny/ad01_fp32.tflite': { input: ['float32', [1, 640]], output: ['float32', [1, 640]], ops: [F] },
  'mlperf-tiny/ad01_int8.tflite': { input: ['int8', [1, 640]], output: ['int8', [1, 640]], ops: [F] },
  'mlperf-tiny/kws_ref_model.tflite': { input: ['int8', [1, 49, 10, 1]], output: ['int8', [1, 12]], ops: KWS_OPS },
  'mlperf-tiny/kws_ref_model_float32.tflite': { input: ['float32', [1, 49, 10, 1]], output: ['float32', [1, 12]], ops: KWS_OPS },
  'mlperf-tiny/pretrainedResnet.tflite': { input: ['float32', [1, 32, 32, 3]], output: ['float32', [1, 10]], ops: RESNET_OPS },
  'mlperf-tiny/pretrainedResnet_large_float.tflite': { input: ['float32', [1, 32, 32, 3]], output: ['float32', [1, 10]], ops: RESNET_OPS },
  'mlperf-tiny/pretrainedResnet_large_int8.tflite': { input: ['int8', [1, 32, 32, 3]], output: ['int8', [1, 10]], ops: RESNET_OPS },
  'mlperf-tiny/pretrainedResnet_quant.tflite': { input: ['int8', [1, 32, 32, 3]], output: ['int8', [1, 10]], ops: RESNET_OPS },
  'mlperf-tiny/vww_96_float.tflite': { input: ['float32', [1, 96, 96, 3]], output: ['float32', [1, 2]], ops: KWS_OPS },
  'mlperf-tiny/vww_96_int8.tflite': { input: ['int8', [1, 96, 96, 3]], output: ['int8', [1, 2]], ops: KWS_OPS },
  'tflite-micro/hello_world_float.tflite': { input: ['float32', [1, 1]], output: ['float32', [1, 1]], ops: [F] },
  'tflite-micro/hello_world_int8.tflite': { input: ['int8', [1, 1]], output: ['int8', [1, 1]], ops: [F] },
  'tflite-micro/micro_speech_quantized.tflite': { input: ['int8', [1, 1960]], output: ['int8', [1, 4]], ops: [D, F, R, S] },
  'tflite-micro/mobilenet_v2_quantized_1x3x224x224.tflite': {
    input: ['int8', [1, 3, 224, 224]],
    output: ['int8', [1, 1000]],
    ops: ['ADD', C, D, F, 'MEAN', 'PAD', R, 'TRANSPOSE'],
  },
  'tflite-micro/person_detect.tflite': { input: ['int8', [1, 96, 96, 1]], output: ['int8', [1, 2]], ops: [AP, C, D, R, S] },
  'tflite-support/mobilenet_v1_0.25_224_1_default_1.tflite': { input: ['float32', [1, 224, 224, 3]], output: ['float32', [1, 1001]], ops: [AP, C, D, S, 'SQUEEZE'] },
  'tflite-support/mobilenet_v1_0.25_224_quant.tflite': { input: ['uint8', [1, 224, 224, 3]], output: ['uint8', [1, 1001]], ops: MOBILENET_V1_OPS },
};

const modelsDir = assetPath('models');
const graphs = new Map<string, Graph>();
function load(rel: string): Graph {
  let g = graphs.get(rel);
  if (!g) {
    g = importTflite(readFileSync(join(modelsDir, rel)), rel);
    graphs.set(rel, g);
  }
  return g;
}

/**
 * Fully int8 models (int8 activations and convolutions). kws_ref_model_float32 has int8 weights
 * too, but per-tensor and weight-only (hybrid), with float activations: not one of these.
 * tf2_mobilenet_v2_ptq takes uint8 input and QUANTIZEs it to int8: one of these.
 */
function isInt8Model(g: Graph): boolean {
  const conv = g.ops.find((op) => op.type === 'CONV_2D');
  return !!conv && g.tensors[conv.inputs[0]].dtype === 'int8';
}

/**
 * The outside models of models/corpus/ (detection, segmentation, pose, landmarks): what import does
 * with each today. A refusal is one UnsupportedOpError naming every op the importer does not read
 * (distinct names in first-use order, and how many operators they are); a model that imports
 * lists its op types.
 */
const CORPUS: Record<string, { refusedOps: string[]; operators: number } | { ops: OpType[] }> = {
  'corpus/armzoo_ssd_mobilenet_v3_int8.tflite': { ops: ['ADD', AP, 'CONCATENATION', C, D, 'HARD_SWISH', 'LOGISTIC', 'MUL', 'QUANTIZE', R] },
  'corpus/coral_deeplabv3_mnv2_pascal_quant.tflite': { ops: ['ADD', 'ARG_MAX', AP, 'CONCATENATION', C, D, 'QUANTIZE', 'RESIZE_BILINEAR'] },
  'corpus/coral_mobilenet_v2_1.0_224_inat_bird_quant.tflite': { ops: ['ADD', AP, C, D, F, S] },
  'corpus/coral_movenet_single_pose_lightning_ptq.tflite': { ops: ['ADD', 'ARG_MAX', 'CAST', 'CONCATENATION', C, D, 'DEQUANTIZE', 'DIV', 'FLOOR_DIV', 'GATHER_ND', 'LOGISTIC', 'MUL', 'PACK', 'QUANTIZE', R, 'RESIZE_BILINEAR', 'SQRT', 'SUB', 'UNPACK'] },
  'corpus/coral_split_concat.tflite': { ops: ['CONCATENATION', 'SPLIT'] },
  'corpus/gd32_fastvit_food101_192.tflite': { ops: ['ADD', AP, 'CONCATENATION', C, D, 'DEQUANTIZE', F, 'MEAN', 'MINIMUM', 'MUL', 'PAD', 'RELU', 'RELU6', R, 'TRANSPOSE'] },
  'corpus/gd32_yolov10_coco80_front.tflite': { ops: ['ADD', 'CONCATENATION', C, D, 'GATHER', 'PAD'] },
  'corpus/gd32_yolov10_coco80_post.tflite': { ops: ['ADD', 'CONCATENATION', C, D, 'DEQUANTIZE', 'GATHER', 'LOGISTIC', 'MAX_POOL_2D', 'PACK', 'PAD', 'QUANTIZE', R, 'TANH', 'TRANSPOSE'] },
  'corpus/openmv_blazeface_front_128.tflite': { ops: ['ADD', C, D, 'DEQUANTIZE', 'MAX_POOL_2D', 'PAD', 'QUANTIZE', R] },
  'corpus/openmv_hand_landmarks_full_224.tflite': { ops: ['ADD', C, D, 'DEQUANTIZE', F, 'LOGISTIC', 'MEAN', 'QUANTIZE'] },
  'corpus/openmv_palm_detection_full_192.tflite': { ops: ['ADD', 'CONCATENATION', C, D, 'DEQUANTIZE', 'MAX_POOL_2D', 'PAD', 'PRELU', 'QUANTIZE', R, 'RESIZE_BILINEAR'] },
  'corpus/openmv_yolov8n_192.tflite': { ops: ['ADD', 'CONCATENATION', C, 'DEQUANTIZE', 'LOGISTIC', 'MAX_POOL_2D', 'MUL', 'PAD', 'QUANTIZE', R, 'RESIZE_NEAREST_NEIGHBOR', S, 'STRIDED_SLICE', 'SUB', 'TRANSPOSE'] },
  'corpus/tflm_pr1341_id_model.tflite': { ops: ['ADD', AP, 'CONCATENATION', C, D, 'EXPAND_DIMS', F, 'LEAKY_RELU', 'PAD', R, 'RESIZE_NEAREST_NEIGHBOR'] },
  'corpus/tfls_coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite': { ops: ['CONCATENATION', C, D, 'DETECTION_POSTPROCESS', 'LOGISTIC', R] },
  'corpus/tfls_dilated_conv.tflite': { ops: ['ADD', 'BATCH_TO_SPACE_ND', C, 'FLOOR_MOD', 'PACK', 'SHAPE', 'SPACE_TO_BATCH_ND', 'STRIDED_SLICE', 'SUB'] },
  'corpus/tinymaix_mbnet128_0.25_q.tflite': { ops: [C, D, 'MEAN', 'PACK', 'PAD', R, 'SHAPE', 'SOFTMAX', 'STRIDED_SLICE'] },
};

test('the expectation tables cover every asset model (a new model must be added here)', () => {
  const onDisk = readdirSync(modelsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(modelsDir, d.name)).filter((f) => f.endsWith('.tflite')).map((f) => `${d.name}/${f}`))
    .sort();
  expect(onDisk).toEqual([...Object.keys(EXPECTED), ...Object.keys(CORPUS)].sort());
});

describe.each(Object.entries(CORPUS))('%s', (rel, expected) => {
  test('refused naming every unsupported op at once, or imported with the expected op types', () => {
    const bytes = readFileSync(join(modelsDir, rel));
    if ('refusedOps' in expected) {
      let error: unknown;
      try {
        importTflite(bytes, rel);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UnsupportedOpError);
      const e = error as UnsupportedOpError;
      expect(e.opNames).toEqual(expected.refusedOps);
      expect(e.ops).toHaveLength(expected.operators);
      for (const name of expected.refusedOps) expect(e.message).toContain(name);
      // In operator order, each at its own index.
      expect(e.ops.map((op) => op.opIndex)).toEqual([...e.ops.map((op) => op.opIndex)].sort((a, b) => a - b));
    } else {
      expect([...new Set(importTflite(bytes, rel).ops.map((op) => op.type))].sort()).toEqual([...expected.ops].sort());
    }
  });

  test('the listing keeps every operator in place, unsupported ones as opaque entries', () => {
    const bytes = readFileSync(join(modelsDir, rel));
    const listing = importTfliteListing(bytes, rel);
    listing.ops.forEach((op, i) => expect(op.index).toBe(i));
    const opaque = listing.ops.filter(isOpaqueOp);
    if ('refusedOps' in expected) {
      expect([...new Set(opaque.map((op) => op.name))]).toEqual(expected.refusedOps);
      expect(opaque).toHaveLength(expected.operators);
      for (const op of opaque) expect(op.outputs.length).toBeGreaterThan(0);
    } else {
      expect(opaque).toEqual([]);
      expect(listing.ops).toEqual(importTflite(bytes, rel).ops);
    }
  });
});

describe.each(Object.entries(EXPECTED))('%s', (rel, expected) => {
  test('imports with the expected inputs, outputs and op types', () => {
    const g = load(rel);
    expect(g.name).toBe(rel);
    expect(g.inputs).toHaveLength(1);
    expect(g.outputs).toHaveLength(1);
    const input = g.tensors[g.inputs[0]];
    const output = g.tensors[g.outputs[0]];
    expect([input.dtype, input.shape]).toEqual(expected.input);
    expect([output.dtype, output.shape]).toEqual(expected.output);
    const types = [...new Set(g.ops.map((op) => op.type))].sort();
    expect(types).toEqual([...expected.ops].sort());
    for (const t of types) expect(SUPPORTED_OP_TYPES.has(t)).toBe(true);
  });

  test('structure is consistent: ids, constant data sizes, quant params, topological order', () => {
    const g = load(rel);
    g.tensors.forEach((t, i) => {
      expect(t.id).toBe(i);
      if (t.data) expect(t.data.length).toBe(tensorElementCount(t.shape) * DTYPE_BYTES[t.dtype]);
      if (t.quant) {
        expect(t.quant.zeroPoint.length).toBe(t.quant.scale.length);
        if (t.quant.scale.length > 1) expect(t.quant.scale.length).toBe(t.shape[t.quant.axis]);
        else expect(t.quant.axis === 0 || t.quant.axis < t.shape.length).toBe(true);
      }
    });
    const ready = new Set<number>([...g.inputs, ...g.tensors.filter((t) => t.data).map((t) => t.id)]);
    g.ops.forEach((op, i) => {
      expect(op.index).toBe(i);
      expect(op.version).toBeGreaterThanOrEqual(1);
      for (const t of op.inputs) if (t !== -1) expect(ready.has(t)).toBe(true);
      for (const t of op.outputs) ready.add(t);
    });
    for (const t of g.outputs) expect(ready.has(t)).toBe(true);
  });

  test('conv weights: 4-D constant; int8 models are per-channel (CONV_2D axis 0, DEPTHWISE axis 3) with int32 bias', () => {
    const g = load(rel);
    const int8 = isInt8Model(g);
    for (const op of g.ops) {
      if (op.type !== 'CONV_2D' && op.type !== 'DEPTHWISE_CONV_2D') continue;
      const w = g.tensors[op.inputs[1]];
      expect(w.shape).toHaveLength(4);
      expect(w.data).toBeDefined();
      if (!int8) continue;
      const axis = op.type === 'CONV_2D' ? 0 : 3;
      expect(w.dtype).toBe('int8');
      expect(w.quant!.axis).toBe(axis);
      expect(w.quant!.scale.length).toBe(w.shape[axis]);
      expect([...w.quant!.zeroPoint].every((z) => z === 0)).toBe(true);
      const bias = g.tensors[op.inputs[2]];
      expect(bias.dtype).toBe('int32');
      expect(bias.shape).toEqual([w.shape[axis]]);
      expect(bias.quant!.axis).toBe(0);
    }
  });
});

test('which models are int8 per-channel is what the assets say', () => {
  const int8 = Object.keys(EXPECTED).filter((rel) => isInt8Model(load(rel)));
  expect(int8.sort()).toEqual(
    [
      'coral/tf2_mobilenet_v2_1.0_224_ptq.tflite',
      'mlperf-tiny/kws_ref_model.tflite',
      'mlperf-tiny/pretrainedResnet_large_int8.tflite',
      'mlperf-tiny/pretrainedResnet_quant.tflite',
      'mlperf-tiny/vww_96_int8.tflite',
      'tflite-micro/mobilenet_v2_quantized_1x3x224x224.tflite',
      'tflite-micro/person_detect.tflite',
    ].sort(),
  );
});

test('legacy uint8 MobileNet v2: per-tensor uint8 weights, input scale 1/128 zero point 128', () => {
  const g = load('coral/mobilenet_v2_1.0_224_quant.tflite');
  const input = g.tensors[g.inputs[0]];
  expect(input.quant!.scale).toEqual(new Float64Array([0.0078125]));
  expect(input.quant!.zeroPoint).toEqual(new Int32Array([128]));
  const conv = g.ops.find((op) => op.type === 'CONV_2D')!;
  const w = g.tensors[conv.inputs[1]];
  expect(w.dtype).toBe('uint8');
  expect(w.quant!.scale).toHaveLength(1);
  // The first layer of MobileNet v2 is a 3×3 stride-2 SAME convolution with ReLU6, 32 filters.
  expect(conv.options).toEqual({ padding: 'SAME', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, activation: 'RELU6' });
  expect(w.shape).toEqual([32, 3, 3, 3]);
  expect(g.description).toBe('MLIR Converted.');
});

test("person_detect: rank-1 bias tensors with quantized_dimension 3 are normalized to axis 0", () => {
  const g = load('tflite-micro/person_detect.tflite');
  const dw = g.ops.find((op) => op.type === 'DEPTHWISE_CONV_2D')!;
  const bias = g.tensors[dw.inputs[2]];
  expect(bias.shape).toHaveLength(1);
  expect(bias.quant!.axis).toBe(0);
  expect(bias.quant!.scale.length).toBe(bias.shape[0]);
  const input = g.tensors[g.inputs[0]];
  expect(input.quant!.zeroPoint[0]).toBe(-1);
  expect(input.quant!.scale[0]).toBeCloseTo(1 / 127.5, 7);
});

test('options: SQUEEZE dims, SOFTMAX beta, MEAN keepDims, PAD/TRANSPOSE carry no options', () => {
  const fl = load('tflite-support/mobilenet_v1_0.25_224_1_default_1.tflite');
  const squeeze = fl.ops.find((op) => op.type === 'SQUEEZE')!;
  expect(squeeze.options).toEqual({ squeezeDims: [1, 2] });
  const softmax = fl.ops.find((op) => op.type === 'SOFTMAX')!;
  expect(softmax.options).toEqual({ beta: 1 });
  const tv = load('tflite-micro/mobilenet_v2_quantized_1x3x224x224.tflite');
  const mean = tv.ops.find((op) => op.type === 'MEAN')!;
  expect(typeof (mean.options as { keepDims: boolean }).keepDims).toBe('boolean');
  expect(tv.ops.find((op) => op.type === 'PAD')!.options).toEqual({});
  expect(tv.ops.find((op) => op.type === 'TRANSPOSE')!.options).toEqual({});
  // The axes of MEAN and the permutation of TRANSPOSE are constant int32 operands.
  const axes = tv.tensors[mean.inputs[1]];
  expect(axes.dtype).toBe('int32');
  expect(axes.data).toBeDefined();
});

test('an explicit name wins; otherwise the subgraph name is used', () => {
  const bytes = readFileSync(join(modelsDir, 'coral/mobilenet_v1_0.25_128_quant.tflite'));
  expect(importTflite(bytes).name).toBe('main');
  expect(importTflite(bytes, 'mine').name).toBe('mine');
});

test('constant data is copied, not a view into the file', () => {
  const bytes = new Uint8Array(readFileSync(join(modelsDir, 'tflite-micro/hello_world_int8.tflite')));
  const g = importTflite(bytes);
  const w = g.tensors.find((t) => t.data)!;
  expect(w.data!.buffer).not.toBe(bytes.buffer);
  expect(w.data!.byteOffset).toBe(0);
});
