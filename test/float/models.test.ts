// Whole models on the float32 GPU path, end to end:
//  - the float ResNet-8 (pretrainedResnet.tflite): GPU against the CPU reference's float kernels,
//    and against TFLite's own float output vectors;
//  - the int8 ResNet-8 made float by dequantizeGraph: GPU against the CPU reference on the same
//    float twin, and its top-1 against the int8 model's TFLite top-1 on the same input bytes;
//  - a legacy uint8 MobileNet (per-tensor uint8 weights with zero points) made float the same way;
//  - the hybrid keyword-spotting model (float activations, int8 weights), as imported (weights
//    dequantized at load) and through dequantizeGraph.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { dequantizeGraph, dequantizeInputs } from '../../src/passes/dequantize-graph.ts';
import type { Graph } from '../../src/model/graph.ts';
import { importTflite } from '../../src/model/import.ts';
import { prepareReference } from '../../src/reference/run.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import { compareFloat } from '../helpers/float-graphs.ts';
import { testContext } from '../helpers/gpu.ts';

interface VectorEntry {
  model: string;
  input_file: string;
  output_file: string;
  input_dtype: 'uint8' | 'int8' | 'float32';
  output_dtype: 'uint8' | 'int8' | 'float32';
}

const entries = JSON.parse(readFileSync(assetPath('reference', 'vectors', 'vectors.json'), 'utf8')) as VectorEntry[];

function typed(path: string, dtype: VectorEntry['input_dtype']): TensorData {
  const bytes = new Uint8Array(readFileSync(assetPath(path)));
  if (dtype === 'float32') return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return dtype === 'int8' ? new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
}

function vectorsOf(model: string): Array<{ name: string; input: TensorData; expected: TensorData }> {
  return entries
    .filter((e) => e.model === (model.includes('/') ? `models/${model}` : `models/mlperf-tiny/${model}`))
    .map((e) => ({ name: e.input_file.split('__')[1]!.replace('.input.bin', ''), input: typed(e.input_file, e.input_dtype), expected: typed(e.output_file, e.output_dtype) }));
}

/** A model file under shared/assets/models; a bare name is in mlperf-tiny/. */
function load(model: string): Graph {
  const path = model.includes('/') ? assetPath('models', model) : assetPath('models', 'mlperf-tiny', model);
  return importTflite(new Uint8Array(readFileSync(path)), model);
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * GPU against the CPU reference, both float32 through the whole network. Each layer's
 * summation-order difference (about 1e-6 relative) compounds over a dozen layers; softmax
 * probabilities are at most 1, so 1e-4 of the largest stays far below what any kernel bug moves.
 */
const MODEL_RELATIVE_TOLERANCE = 1e-4;

/**
 * GPU against TFLite's float output: TFLite ran its XNNPACK kernels (their own summation order
 * and exp), which is the same kind of difference as against the reference (measured: at most
 * 2.3e-6 on probabilities up to 1).
 */
const TFLITE_RELATIVE_TOLERANCE = 1e-4;

async function gpuAndReference(graph: Graph, inputs: TensorData[][]): Promise<Array<{ gpu: Float32Array; cpu: Float32Array }>> {
  const context = await testContext();
  const model = await OctetModel.load(graph, { context, backend: 'gpu' });
  const reference = prepareReference(graph);
  try {
    const results: Array<{ gpu: Float32Array; cpu: Float32Array }> = [];
    for (const input of inputs) {
      const [gpu] = await model.run(input);
      results.push({ gpu: gpu as Float32Array, cpu: reference.run(input)[0] as Float32Array });
    }
    return results;
  } finally {
    model.dispose();
  }
}

describe('float models on the GPU', () => {
  it('float ResNet-8 equals the CPU reference and TFLite on every reference vector', async () => {
    const vectors = vectorsOf('pretrainedResnet.tflite');
    expect(vectors.length).toBeGreaterThan(0);
    const results = await gpuAndReference(load('pretrainedResnet.tflite'), vectors.map((v) => [v.input]));
    const failures: string[] = [];
    vectors.forEach((v, i) => {
      const { gpu, cpu } = results[i]!;
      const vsReference = compareFloat(gpu, cpu, MODEL_RELATIVE_TOLERANCE);
      const vsTflite = compareFloat(gpu, v.expected as Float32Array, TFLITE_RELATIVE_TOLERANCE);
      if (vsReference.bad > 0) failures.push(`${v.name} vs reference: max diff ${vsReference.maxAbsDiff}, ${vsReference.firstBad}`);
      if (vsTflite.bad > 0) failures.push(`${v.name} vs TFLite: max diff ${vsTflite.maxAbsDiff}, ${vsTflite.firstBad}`);
      if (argmax(gpu) !== argmax(v.expected)) failures.push(`${v.name}: top-1 ${argmax(gpu)}, TFLite ${argmax(v.expected)}`);
    });
    expect(failures).toEqual([]);
  });

  it('int8 ResNet-8 as float (dequantizeGraph): GPU equals the CPU reference, top-1 equals the int8 TFLite top-1', async () => {
    const original = load('pretrainedResnet_quant.tflite');
    const float = dequantizeGraph(original);
    const vectors = vectorsOf('pretrainedResnet_quant.tflite');
    expect(vectors.length).toBeGreaterThan(0);
    // The same int8 input bytes the quantized model takes, dequantized with its input parameters.
    const results = await gpuAndReference(float, vectors.map((v) => dequantizeInputs(original, [v.input])));
    const failures: string[] = [];
    vectors.forEach((v, i) => {
      const { gpu, cpu } = results[i]!;
      const cmp = compareFloat(gpu, cpu, MODEL_RELATIVE_TOLERANCE);
      if (cmp.bad > 0) failures.push(`${v.name} vs reference: max diff ${cmp.maxAbsDiff}, ${cmp.firstBad}`);
      if (argmax(gpu) !== argmax(v.expected)) failures.push(`${v.name}: float top-1 ${argmax(gpu)}, int8 TFLite top-1 ${argmax(v.expected)}`);
    });
    expect(failures).toEqual([]);
  });

  it('legacy uint8 MobileNet v1 0.25/128 as float: GPU equals the CPU reference, top-1 equals the uint8 TFLite top-1', async () => {
    const original = load('coral/mobilenet_v1_0.25_128_quant.tflite');
    const float = dequantizeGraph(original);
    const vectors = vectorsOf('coral/mobilenet_v1_0.25_128_quant.tflite').slice(0, 1);
    expect(vectors.length).toBe(1);
    const [{ gpu, cpu }] = await gpuAndReference(float, vectors.map((v) => dequantizeInputs(original, [v.input])));
    const cmp = compareFloat(gpu!, cpu!, MODEL_RELATIVE_TOLERANCE);
    expect(cmp.bad, cmp.firstBad).toBe(0);
    expect(argmax(gpu!)).toBe(argmax(vectors[0]!.expected));
  });

  it('hybrid keyword spotting (int8 weights, float activations): as imported and dequantized, GPU equals the reference, top-1 equals TFLite', async () => {
    const original = load('kws_ref_model_float32.tflite');
    const vectors = vectorsOf('kws_ref_model_float32.tflite');
    expect(vectors.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const [kind, graph] of [['as imported', original], ['dequantized', dequantizeGraph(original)]] as const) {
      const results = await gpuAndReference(graph, vectors.map((v) => [v.input]));
      vectors.forEach((v, i) => {
        const { gpu, cpu } = results[i]!;
        const cmp = compareFloat(gpu, cpu, MODEL_RELATIVE_TOLERANCE);
        if (cmp.bad > 0) failures.push(`${kind} ${v.name} vs reference: max diff ${cmp.maxAbsDiff}, ${cmp.firstBad}`);
        // TFLite's hybrid kernels quantize activations on the fly, so only the class is compared.
        if (argmax(gpu) !== argmax(v.expected)) failures.push(`${kind} ${v.name}: top-1 ${argmax(gpu)}, TFLite ${argmax(v.expected)}`);
      });
    }
    expect(failures).toEqual([]);
  });
});
