// Calibration: run the float graph on sample inputs and record the range every float activation
// takes, the statistic TFLite's post-training quantizer ("MinMax" calibration) builds its
// activation quantization parameters from: the minimum of the minima and the maximum of the
// maxima over all samples.
import { tensorElementCount, type Graph, type TensorIR } from '../model/graph.ts';
import { prepareReference, ReferenceRunError } from '../reference/run.ts';
import { QuantizeError } from './errors.ts';

/**
 * One calibration sample in the float model's own input format: a Float32Array for a model with
 * one input, or one Float32Array per graph input (in graph.inputs order).
 */
export type CalibrationSample = Float32Array | readonly Float32Array[];

export interface TensorRange {
  min: number;
  max: number;
}

/** Float activations (graph inputs included): float32 tensors without constant data. */
export function isFloatActivation(t: TensorIR): boolean {
  return t.dtype === 'float32' && !t.data;
}

function describeTensor(t: TensorIR): string {
  return `'${t.name}' (${tensorElementCount(t.shape)} float32 values, shape [${t.shape.join(', ')}])`;
}

/** Throws QuantizeError unless every graph input is float32 (the quantizer's starting point). */
export function checkFloatInputs(graph: Graph): void {
  if (graph.inputs.length === 0) throw new QuantizeError(`graph '${graph.name}' has no inputs`);
  for (const id of graph.inputs) {
    const t = graph.tensors[id];
    if (t.dtype !== 'float32') {
      throw new QuantizeError(
        `graph input '${t.name}' is ${t.dtype}; quantization starts from a float model (float32 inputs)`,
      );
    }
  }
}

/**
 * Checks the samples against the graph's inputs and returns them as one array per sample.
 * Errors name the sample (0-based), the input, and what was expected.
 */
export function normalizeSamples(graph: Graph, samples: readonly CalibrationSample[]): Float32Array[][] {
  if (!Array.isArray(samples) || samples.length === 0) {
    throw new QuantizeError('no calibration inputs: pass at least one sample (TFLite uses about 100)');
  }
  const inputs = graph.inputs.map((id) => graph.tensors[id]);
  return samples.map((sample, s) => {
    const arrays: readonly unknown[] = sample instanceof Float32Array ? [sample] : Array.isArray(sample) ? sample : [sample];
    if (arrays.length !== inputs.length) {
      throw new QuantizeError(
        `calibration sample ${s} has ${arrays.length} tensors, but graph '${graph.name}' takes ${inputs.length} inputs ` +
          `(${inputs.map(describeTensor).join(', ')})`,
      );
    }
    return arrays.map((value, k) => {
      const input = inputs[k];
      const expected = tensorElementCount(input.shape);
      if (!(value instanceof Float32Array)) {
        const got = value === null || value === undefined ? String(value) : (value as object).constructor?.name ?? typeof value;
        throw new QuantizeError(`calibration sample ${s}, input ${describeTensor(input)}: expected a Float32Array, got ${got}`);
      }
      if (value.length !== expected) {
        throw new QuantizeError(
          `calibration sample ${s}, input ${describeTensor(input)}: got ${value.length} values, expected ${expected}`,
        );
      }
      for (let i = 0; i < value.length; i++) {
        // One NaN or infinity would make the recorded range, and with it every scale downstream, meaningless.
        if (!Number.isFinite(value[i])) {
          throw new QuantizeError(`calibration sample ${s}, input ${describeTensor(input)}: element ${i} is ${value[i]}`);
        }
      }
      return value;
    });
  });
}

/**
 * Runs the float graph (CPU reference) on every sample and returns the [min, max] each float
 * activation tensor took, by tensor id. Graph inputs are included.
 * @throws QuantizeError for an empty sample list, a sample of the wrong shape or type, a
 *   non-float model, an op the float reference cannot run, or a tensor that turns non-finite.
 */
export function calibrate(graph: Graph, samples: readonly CalibrationSample[]): Map<number, TensorRange> {
  checkFloatInputs(graph);
  const normalized = normalizeSamples(graph, samples);
  let reference;
  try {
    reference = prepareReference(graph);
  } catch (e) {
    if (e instanceof ReferenceRunError) throw new QuantizeError(`cannot calibrate graph '${graph.name}': ${e.message}`);
    throw e;
  }
  const activationIds = graph.tensors.filter(isFloatActivation).map((t) => t.id);
  const mins = new Float64Array(graph.tensors.length).fill(Infinity);
  const maxs = new Float64Array(graph.tensors.length).fill(-Infinity);
  normalized.forEach((inputs, s) => {
    const values = reference.runAll(inputs);
    for (const id of activationIds) {
      const v = values.get(id);
      if (!v) continue; // a tensor no op writes (dead); it gets no range and stays unquantized
      let lo = mins[id];
      let hi = maxs[id];
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x < lo) lo = x;
        if (x > hi) hi = x;
        if (!Number.isFinite(x)) {
          throw new QuantizeError(
            `calibration sample ${s}: tensor '${graph.tensors[id].name}' took the value ${x}; a float model that overflows cannot be calibrated`,
          );
        }
      }
      mins[id] = lo;
      maxs[id] = hi;
    }
  });
  const ranges = new Map<number, TensorRange>();
  for (const id of activationIds) {
    if (mins[id] <= maxs[id]) ranges.set(id, { min: mins[id], max: maxs[id] });
  }
  return ranges;
}
