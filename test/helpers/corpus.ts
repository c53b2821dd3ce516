// The outside models in models/corpus/ against what the TFLite runtime produced for them
// (reference/corpus/): each one Octet imports is listed in CORPUS_RUNS with the suite that runs
// it (`default`: npm test; `full`: npm run test:full, for models too slow for SwiftShader in the
// default budget). On every vector: 8-bit and integer outputs equal TFLite's and the CPU
// reference's element for element; float32 outputs within FLOAT_RELATIVE of the tensor's largest
// magnitude (float math on the GPU is not the CPU's to the last bit).
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { importTflite } from '../../src/model/import.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import { prepareReference } from '../../src/reference/run.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { testContext } from './gpu.ts';
import { modelBytes } from './vectors.ts';

export type CorpusSuite = 'default' | 'full';

/** Every corpus model Octet imports, by path under the assets folder, with the suite that runs it. */
export const CORPUS_RUNS: Record<string, CorpusSuite> = {
  'models/corpus/coral_mobilenet_v2_1.0_224_inat_bird_quant.tflite': 'default',
  'models/corpus/openmv_blazeface_front_128.tflite': 'default',
  // Equal since 8-bit MUL follows XNNPACK's fp32 multiply; about 27 s on SwiftShader.
  'models/corpus/gd32_fastvit_food101_192.tflite': 'full',
  'models/corpus/openmv_hand_landmarks_full_224.tflite': 'full',
  // Data movement family.
  'models/corpus/coral_split_concat.tflite': 'default',
  'models/corpus/gd32_yolov10_coco80_front.tflite': 'default',
  // Its last RESHAPE takes its shape from SHAPE → STRIDED_SLICE → PACK, a tensor TFLite sizes at
  // run time, so the runtime refuses its XNNPACK delegate for the whole graph: equal since
  // 'xnnpack' follows TFLite's builtin kernels there (src/model/tflite-delegation.ts).
  'models/corpus/tinymaix_mbnet128_0.25_q.tflite': 'default',
  // Equal since 8-bit MUL (its hard-swish gates) and the int8 → int8 QUANTIZE of its box and class
  // heads follow XNNPACK's multiply and convert.
  'models/corpus/armzoo_ssd_mobilenet_v3_int8.tflite': 'default',
  // Equal since its int8 → int8 QUANTIZE follows XNNPACK's convert.
  'models/corpus/gd32_yolov10_coco80_post.tflite': 'default',
  // Its intermediate shapes are sized at run time (the file stores [1,1,1,3] placeholders): equal
  // since folding makes the paddings constant and src/passes/infer-shapes.ts sizes the chain.
  'models/corpus/tfls_dilated_conv.tflite': 'default',
  // Resize, arg reductions and casts.
  'models/corpus/tflm_pr1341_id_model.tflite': 'default', // RESIZE_NEAREST_NEIGHBOR; equals TFLite
  'models/corpus/coral_movenet_single_pose_lightning_ptq.tflite': 'full', // CAST, RESIZE_BILINEAR, ARG_MAX; equals TFLite (~22 s on SwiftShader)
  'models/corpus/openmv_palm_detection_full_192.tflite': 'full', // RESIZE_BILINEAR; equals TFLite (~50 s)
  // Equal on every vector (its 8-bit MULs follow XNNPACK's fp32 multiply); about 2 s a run on SwiftShader.
  'models/corpus/openmv_yolov8n_192.tflite': 'full',
  // Equal on every vector, its 263169 ARG_MAX indices included (1119 pixels of grace_hopper tie
  // between classes: the first index wins, as in TFLite); about 14 s a run on SwiftShader.
  'models/corpus/coral_deeplabv3_mnv2_pascal_quant.tflite': 'full',
  // TFLite_Detection_PostProcess on the host after the GPU program: all four outputs equal
  // TFLite's exactly on every vector; about 70 s for the three on SwiftShader, so the full suite.
  'models/corpus/tfls_coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite': 'full',
};

export const FLOAT_RELATIVE = 1e-5;

export type CorpusDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'int64' | 'bool' | 'float32';

export interface CorpusEntry {
  model: string;
  case: string;
  inputs: Array<{ file: string; dtype: CorpusDType; shape: number[] }>;
  outputs: Array<{ file: string; dtype: CorpusDType; shape: number[] }>;
}

export function corpusEntries(): CorpusEntry[] {
  return JSON.parse(readFileSync(assetPath('reference', 'corpus', 'vectors.json'), 'utf8')) as CorpusEntry[];
}

/** A vector file in its own dtype (int64 as BigInt64Array, bool as 0/1 bytes). */
export function readCorpusTensor(path: string, dtype: CorpusDType): TensorData {
  const copy = new Uint8Array(readFileSync(assetPath(path)));
  const b = copy.buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(b, 0, copy.length / 4);
    case 'int32':
      return new Int32Array(b, 0, copy.length / 4);
    case 'int16':
      return new Int16Array(b, 0, copy.length / 2);
    case 'int64':
      return new BigInt64Array(b, 0, copy.length / 8) as unknown as TensorData;
    case 'int8':
      return new Int8Array(b);
    case 'uint8':
    case 'bool':
      return copy;
  }
}

export interface CorpusDifference {
  elements: number;
  differing: number;
  maxAbsDiff: number;
  firstDiff?: string;
}

/** Elements outside the allowance: none for integer dtypes; FLOAT_RELATIVE × max|expected| for float32. */
export function corpusDifference(got: TensorData, expected: TensorData, dtype: CorpusDType): CorpusDifference {
  const n = Math.max(got.length, expected.length);
  let scale = 0;
  if (dtype === 'float32') for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(Number(expected[i])));
  const allowed = dtype === 'float32' ? FLOAT_RELATIVE * scale : 0;
  let differing = 0;
  let maxAbsDiff = 0;
  let firstDiff: string | undefined;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(Number(got[i]) - Number(expected[i]));
    if (Number.isNaN(d) || d > 0) maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(d) ? Infinity : d);
    if (Number.isNaN(d) || d > allowed) {
      differing++;
      firstDiff ??= `element ${i}: got ${got[i]}, expected ${expected[i]}`;
    }
  }
  return { elements: n, differing, maxAbsDiff, firstDiff };
}

/** One corpus model on the GPU (default 'xnnpack' requantization) against TFLite's outputs and the CPU reference, every vector. */
export async function checkCorpusModel(path: string): Promise<string[]> {
  const entries = corpusEntries().filter((e) => e.model === path);
  expect(entries.length, `vectors for ${path}`).toBeGreaterThan(0);
  const graph = importTflite(modelBytes(path), path);
  const model = await OctetModel.load(graph, { context: await testContext(), requantization: 'xnnpack' });
  const reference = prepareReference(graph, { requantization: 'xnnpack' });
  const rows: string[] = [];
  try {
    for (const e of entries) {
      const inputs = e.inputs.map((i) => readCorpusTensor(i.file, i.dtype));
      const started = performance.now();
      const gpu = await model.run(inputs);
      const gpuMs = performance.now() - started;
      const cpu = reference.run(inputs);
      e.outputs.forEach((o, k) => {
        const expected = readCorpusTensor(o.file, o.dtype);
        const versusTflite = corpusDifference(gpu[k]!, expected, o.dtype);
        const versusReference = corpusDifference(gpu[k]!, cpu[k]!, o.dtype);
        rows.push(
          `${e.case} output ${k} (${o.dtype}): TFLite ${versusTflite.differing}/${versusTflite.elements} outside, max |Δ| ${versusTflite.maxAbsDiff}; ` +
            `reference ${versusReference.differing} outside, max |Δ| ${versusReference.maxAbsDiff}; GPU run ${gpuMs.toFixed(0)} ms`,
        );
        expect(versusReference, `${e.case} output ${k} GPU vs reference`).toMatchObject({ differing: 0 });
        expect(versusTflite, `${e.case} output ${k} GPU vs TFLite`).toMatchObject({ differing: 0 });
      });
    }
  } finally {
    model.dispose();
  }
  console.log(`${path}\n  ${rows.join('\n  ')}`);
  return rows;
}
