// End to end: the importer plus the CPU reference on every model in the shared reference vectors
// (../shared/assets/reference/vectors), against TFLite's own outputs.
//
// TFLite produced those vectors through its XNNPACK delegate, whose requantization (float32
// scale, round half to even) differs from the reference kernels' gemmlowp double rounding by one
// LSB on some elements of a layer. So:
//  - requantization 'xnnpack' must reproduce every quantized vector exactly;
//  - requantization 'tflite' (the numerics contract) drifts further than ±1 through deep
//    networks (it can even change a top-1 class); the per-model differences are printed and only
//    a loose bound is asserted.
// Float models get a small relative tolerance (summation order differs).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { importTflite } from '../../src/model/import.ts';
import { prepareReference, type PreparedReference, type RequantizationMode, type TensorData } from '../../src/reference/run.ts';

interface VectorEntry {
  model: string;
  input_file: string;
  output_file: string;
  input_dtype: 'uint8' | 'int8' | 'float32';
  output_dtype: 'uint8' | 'int8' | 'float32';
  output_len: number;
}

function typed(bytes: Buffer, dtype: VectorEntry['input_dtype']): TensorData {
  const copy = new Uint8Array(bytes);
  if (dtype === 'float32') return new Float32Array(copy.buffer, 0, copy.length / 4);
  return dtype === 'int8' ? new Int8Array(copy.buffer) : copy;
}

const entries = JSON.parse(readFileSync(assetPath('reference', 'vectors', 'vectors.json'), 'utf8')) as VectorEntry[];
const graphs = new Map<string, ReturnType<typeof importTflite>>();
const prepared = new Map<string, PreparedReference>();
function preparedModel(path: string, requantization: RequantizationMode): PreparedReference {
  const key = `${requantization} ${path}`;
  let p = prepared.get(key);
  if (!p) {
    let graph = graphs.get(path);
    if (!graph) {
      graph = importTflite(new Uint8Array(readFileSync(assetPath(path))), path);
      graphs.set(path, graph);
    }
    p = prepareReference(graph, { requantization });
    prepared.set(key, p);
  }
  return p;
}

function compare(e: VectorEntry, requantization: RequantizationMode) {
  const input = typed(readFileSync(assetPath(e.input_file)), e.input_dtype);
  const expected = typed(readFileSync(assetPath(e.output_file)), e.output_dtype);
  const [actual] = preparedModel(e.model, requantization).run([input]);
  expect(actual.length).toBe(e.output_len);
  let offByOne = 0;
  let offByMore = 0;
  let worst = 0;
  let worstRelative = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    worst = Math.max(worst, d);
    worstRelative = Math.max(worstRelative, d / (1e-3 + Math.abs(expected[i])));
    if (d === 1) offByOne++;
    else if (d > 1) offByMore++;
  }
  return { actual, expected, offByOne, offByMore, worst, worstRelative };
}

/**
 * Float models whose weights are int8 (TFLite's hybrid kernels quantize the activations on the
 * fly; the reference dequantizes the weights instead and stays in float), so only the top class
 * is compared.
 */
const HYBRID_MODELS = new Set(['models/mlperf-tiny/kws_ref_model_float32.tflite']);

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

const label = (e: VectorEntry) => e.output_file.split('/').pop()!.replace('.output.bin', '');

describe("reference ('xnnpack' requantization) reproduces the TFLite vectors", () => {
  for (const e of entries) {
    it(label(e), () => {
      const r = compare(e, 'xnnpack');
      if (HYBRID_MODELS.has(e.model)) expect(argmax(r.actual)).toBe(argmax(r.expected));
      else if (e.output_dtype === 'float32') expect(r.worstRelative).toBeLessThan(1e-3);
      else expect(r.worst).toBe(0);
    });
  }
});

describe("reference ('tflite' requantization) against the TFLite vectors", () => {
  const quantized = entries.filter((e) => e.output_dtype !== 'float32');
  const report: string[] = [];
  for (const e of quantized) {
    it(label(e), () => {
      const r = compare(e, 'tflite');
      report.push(`${label(e)}: ${r.actual.length} elements, ${r.offByOne} differ by 1, ${r.offByMore} by more (max ${r.worst})`);
      // Loose: a wrong kernel (not a rounding difference) moves outputs by far more.
      expect(r.worst).toBeLessThanOrEqual(32);
    });
  }
  it('prints the per-model differences', () => {
    console.log(report.join('\n'));
    expect(report.length).toBe(quantized.length);
  });
});
