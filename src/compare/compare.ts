// What 8 bits cost and buy: one int8 model and its float counterpart run side by side on the same
// eval items, in the same process, on the same GPU.
//
//   const report = await compareModels({ int8, float, context, dataset, limit: 200 });
//   console.log(formatComparison(report));   // or JSON.stringify(report)
//
// The float side is a float model file when one is given (its tensors are matched to the int8
// model's by name and shape), else dequantizeGraph(int8), whose tensors share the int8 ids, so
// every activation has a counterpart. Each side gets its own input from the same item: a float
// model file through dataset.load(item, floatGraph) (float models take other pixels than int8
// ones), the dequantized twin through dequantizeInputs of the int8 input (the same real values).
//
// Measured per item: top-1 of each side against the label, top-1 agreement, absolute differences
// of the (dequantized) outputs, wall time of one run of each. On the first `captureInputs` items
// only: every matched activation of both sides (per-layer SQNR). On the first `timedInputs` items,
// where the device has timestamp-query: a timed run of each (GPU time = sum of its dispatches).
// Browser-safe: nothing here touches the file system (see datasets-node.ts for eval sets).
import { OctetError } from '../errors.ts';
import { dequantizeGraph, dequantizeInputs, dequantizeTensorValues } from '../passes/dequantize-graph.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { Graph, OpType, TensorIR } from '../model/graph.ts';
import { tensorElementCount } from '../model/graph.ts';
import { inspectGraph } from '../model/inspect.ts';
import type { RequantizationMode } from '../reference/run.ts';
import type { TensorData } from '../kernels/layout.ts';
import { describeContext, OctetModel, type Backend } from '../runtime/model.ts';

export class CompareError extends OctetError {
  override name = 'CompareError';
  readonly code = 'COMPARE';
}

/** One eval item; `label` is the 0-based class (before any background offset). */
export interface ComparisonItem {
  label?: number;
}

export interface ComparisonDataset<I extends ComparisonItem = ComparisonItem> {
  /** Shown in the report. */
  name?: string;
  items: readonly I[];
  /** The input(s) `graph` takes for `item` (int8 and float models want different encodings). */
  load(item: I, graph: Graph): TensorData | TensorData[] | Promise<TensorData | TensorData[]>;
}

export interface ComparisonProgress {
  done: number;
  total: number;
  int8Correct: number;
  floatCorrect: number;
  agreed: number;
}

export interface CompareOptions<I extends ComparisonItem = ComparisonItem> {
  int8: Graph;
  /** A float model of the same network; default dequantizeGraph(int8). */
  float?: Graph;
  /** Required when either side runs on the GPU. */
  context?: GpuContext;
  dataset: ComparisonDataset<I>;
  /** Use only the first `limit` items. */
  limit?: number;
  /** Capture every matched activation on the first K items (default 10; 0 turns per-layer SQNR off). */
  captureInputs?: number;
  /** Timed runs (timestamp-query) on the first T items (default 20), where the device has it. */
  timedInputs?: number;
  /** Default 'gpu' for both. 'cpu' runs the CPU reference (no GPU time). */
  int8Backend?: Backend;
  floatBackend?: Backend;
  requantization?: RequantizationMode;
  /** Output index of class 0 per model; default 1 for 1001-class outputs (background first), else 0. */
  labelOffset?: (graph: Graph) => number;
  /** One unmeasured run of each model before timing (default true). */
  warmup?: boolean;
  onProgress?: (progress: ComparisonProgress) => void;
}

export interface LatencySummary {
  /** Median wall time of one run (write input, dispatch, read back), milliseconds. */
  wallMsMedian: number;
  wallMsMin: number;
  wallRuns: number;
  /** Median of per-run GPU time (sum of dispatch timestamps); null without timestamp-query. */
  gpuMsMedian: number | null;
  gpuRuns: number;
}

export interface ComparedModel {
  name: string;
  /** 'file': a model given to compare; 'dequantizeGraph': the float twin of the int8 model. */
  source: 'file' | 'dequantizeGraph';
  backend: Backend;
  /** Fraction in [0, 1] of labelled items; null when no item has a label. */
  top1: number | null;
  correct: number;
  parameterCount: number;
  /** Parameter bytes as this model stores them (int8 weights + int32 biases, or float32). */
  weightBytes: number;
  /** The same parameters as float32. */
  weightBytesFloat32: number;
  /** Bytes uploaded to the GPU for weights and per-channel parameters (GPU backend). */
  gpuConstantBytes?: number;
  /** Activation bytes after liveness-based reuse (GPU backend). */
  activationBytesAllocated?: number;
  latency: LatencySummary;
}

export interface LayerComparison {
  /** Op (original operator index) and type that produces the tensor in the int8 graph. */
  opIndex: number;
  opType: OpType;
  int8TensorId: number;
  floatTensorId: number;
  name: string;
  shape: number[];
  /**
   * 10·log10(Σ float² / Σ (int8 − float)²) over all captured items, int8 values dequantized.
   * null when undefined: identical values (see `identical`) or an all-zero float tensor.
   */
  sqnrDb: number | null;
  identical: boolean;
  meanAbsDiff: number;
  maxAbsDiff: number;
}

export interface LayerReport {
  /** 'id': dequantizeGraph shares tensor ids; 'name+shape': a separate float model. */
  matching: 'id' | 'name+shape';
  /** Items whose activations were captured (the first K). */
  capturedInputs: number;
  /** Op outputs (activations) in each graph. */
  int8Activations: number;
  floatActivations: number;
  matched: number;
  layers: LayerComparison[];
  /** Matched tensors that could not be compared, with why. */
  skipped: { name: string; reason: string }[];
}

export interface OutputComparison {
  index: number;
  name: string;
  elements: number;
  /** Over all items and elements: |dequantized int8 output − float output|. */
  meanAbsDiff: number;
  maxAbsDiff: number;
}

export interface ComparisonReport {
  dataset: string;
  /** Items run. */
  n: number;
  /** Items with a label. */
  labelled: number;
  adapter?: string;
  int8: ComparedModel;
  float: ComparedModel;
  /** Fraction of items where both top-1 classes are the same. */
  agreement: number;
  agreed: number;
  outputs: OutputComparison[];
  /** Absent when captureInputs is 0. */
  layers?: LayerReport;
  /** Whether GPU time comes from timestamp-query (else only wall time). */
  gpuTimestamps: boolean;
  seconds: number;
  notes: string[];
}

const DEFAULT_CAPTURE_INPUTS = 10;
const DEFAULT_TIMED_INPUTS = 20;

export function defaultLabelOffset(graph: Graph): number {
  const out = graph.tensors[graph.outputs[0]!];
  return out && tensorElementCount(out.shape) === 1001 ? 1 : 0;
}

/** Index of the largest value; ties go to the lower index (as a stable descending argsort). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** SQNR in dB from summed signal and noise power; null where it is undefined. */
export function sqnrDb(signal: number, noise: number): number | null {
  if (noise === 0 || signal === 0) return null;
  return 10 * Math.log10(signal / noise);
}

/** Op outputs (activations) of a graph with the op that produces each. */
function activations(graph: Graph): Map<number, { opIndex: number; opType: OpType }> {
  const out = new Map<number, { opIndex: number; opType: OpType }>();
  for (const op of graph.ops) {
    for (const id of op.outputs) {
      const t = graph.tensors[id];
      if (id >= 0 && t && !t.data) out.set(id, { opIndex: op.index, opType: op.type });
    }
  }
  return out;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

interface Match {
  int8Id: number;
  floatId: number;
  opIndex: number;
  opType: OpType;
}

function matchTensors(int8: Graph, float: Graph, byId: boolean): { matches: Match[]; int8Count: number; floatCount: number } {
  const a = activations(int8);
  const b = activations(float);
  const floatByName = new Map<string, TensorIR[]>();
  for (const id of b.keys()) {
    const t = float.tensors[id]!;
    floatByName.set(t.name, [...(floatByName.get(t.name) ?? []), t]);
  }
  const used = new Set<number>();
  const matches: Match[] = [];
  for (const [id, producer] of a) {
    const t = int8.tensors[id]!;
    let floatId: number | undefined;
    if (byId) {
      const u = float.tensors[id];
      if (u && b.has(id) && sameShape(u.shape, t.shape)) floatId = id;
    } else {
      floatId = floatByName.get(t.name)?.find((u) => !used.has(u.id) && sameShape(u.shape, t.shape))?.id;
    }
    if (floatId === undefined) continue;
    used.add(floatId);
    matches.push({ int8Id: id, floatId, ...producer });
  }
  return { matches, int8Count: a.size, floatCount: b.size };
}

/** Running sums for one compared tensor pair. */
class DiffStats {
  signal = 0;
  noise = 0;
  absSum = 0;
  max = 0;
  count = 0;
  add(q: Float32Array, f: Float32Array): void {
    for (let i = 0; i < f.length; i++) {
      const d = q[i]! - f[i]!;
      const ad = Math.abs(d);
      this.signal += f[i]! * f[i]!;
      this.noise += d * d;
      this.absSum += ad;
      if (ad > this.max) this.max = ad;
    }
    this.count += f.length;
  }
}

function asFloat(graph: Graph, id: number, data: TensorData): Float32Array {
  return data instanceof Float32Array ? data : dequantizeTensorValues(graph, id, data);
}

async function loadInputs<I extends ComparisonItem>(dataset: ComparisonDataset<I>, item: I, graph: Graph): Promise<TensorData[]> {
  const input = await dataset.load(item, graph);
  return Array.isArray(input) ? input : [input];
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await f();
  return { value, ms: performance.now() - start };
}

function latencySummary(wall: number[], gpu: number[]): LatencySummary {
  return {
    wallMsMedian: round(median(wall), 4),
    wallMsMin: round(Math.min(...wall), 4),
    wallRuns: wall.length,
    gpuMsMedian: gpu.length ? round(median(gpu), 4) : null,
    gpuRuns: gpu.length,
  };
}

function round(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}

function nonNegativeInt(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) throw new CompareError(`${what} must be a non-negative integer, got ${v}`);
  return v;
}

/** Runs the int8 model and its float counterpart on the same items; see the top of this file. */
export async function compareModels<I extends ComparisonItem>(options: CompareOptions<I>): Promise<ComparisonReport> {
  const start = performance.now();
  const { int8, dataset } = options;
  const derived = options.float === undefined;
  const float = options.float ?? dequantizeGraph(int8);
  const limit = options.limit ?? dataset.items.length;
  if (!Number.isInteger(limit) || limit < 1) throw new CompareError(`limit must be a positive integer, got ${limit}`);
  const items = dataset.items.slice(0, limit);
  if (items.length === 0) throw new CompareError(`dataset ${dataset.name ?? ''} has no items`.replace('  ', ' '));
  const captureInputs = Math.min(items.length, nonNegativeInt(options.captureInputs, DEFAULT_CAPTURE_INPUTS, 'captureInputs'));
  const timedInputs = Math.min(items.length, nonNegativeInt(options.timedInputs, DEFAULT_TIMED_INPUTS, 'timedInputs'));
  const int8Backend = options.int8Backend ?? 'gpu';
  const floatBackend = options.floatBackend ?? 'gpu';
  if (int8.inputs.length !== float.inputs.length) {
    throw new CompareError(`'${int8.name}' takes ${int8.inputs.length} input(s), '${float.name}' ${float.inputs.length}`);
  }
  const labelOffset = options.labelOffset ?? defaultLabelOffset;
  const offset8 = labelOffset(int8);
  const offsetF = labelOffset(float);
  const classes8 = tensorElementCount(int8.tensors[int8.outputs[0]!]!.shape);
  const classesF = tensorElementCount(float.tensors[float.outputs[0]!]!.shape);
  if (classes8 - offset8 !== classesF - offsetF) {
    throw new CompareError(`'${int8.name}' has ${classes8 - offset8} classes, '${float.name}' ${classesF - offsetF}`);
  }

  const notes: string[] = [];
  const { matches, int8Count, floatCount } = matchTensors(int8, float, derived);
  const layerStats = matches.map(() => new DiffStats());
  const skipped = new Map<number, string>();
  const outputPairs = Math.min(int8.outputs.length, float.outputs.length);
  const outputStats = Array.from({ length: outputPairs }, () => new DiffStats());

  // Per-layer errors need every matched activation computed: the load passes that drop one
  // (fused or folded ops, placed concatenation inputs) are then off, and the timings are of that program.
  const keepActivations = captureInputs > 0 && matches.length > 0;
  if (keepActivations && (int8Backend === 'gpu' || floatBackend === 'gpu')) notes.push('GPU programs built with every activation kept for the per-layer comparison (no fused or folded ops): their latency is of that program');
  const int8Model = await OctetModel.load(int8, { context: options.context, backend: int8Backend, requantization: options.requantization, keepActivations });
  let floatModel: OctetModel | undefined;
  try {
    floatModel = await OctetModel.load(float, { context: options.context, backend: floatBackend, keepActivations });
    const models = { int8: int8Model, float: floatModel };
    const timestamps = !!options.context?.hasTimestamps;
    const gpuTimed = { int8: timestamps && int8Backend === 'gpu', float: timestamps && floatBackend === 'gpu' };
    const wall = { int8: [] as number[], float: [] as number[] };
    const gpu = { int8: [] as number[], float: [] as number[] };
    let correct8 = 0;
    let correctF = 0;
    let agreed = 0;
    let labelled = 0;

    const inputsFor = async (item: I) => {
      const in8 = await loadInputs(dataset, item, int8);
      const inF = derived ? dequantizeInputs(int8, in8) : await loadInputs(dataset, item, float);
      return { int8: in8, float: inF };
    };

    if (options.warmup ?? true) {
      const first = await inputsFor(items[0]!);
      await int8Model.run(first.int8);
      await floatModel.run(first.float);
    }

    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const inputs = await inputsFor(item);
      // Alternate which side runs first, so that neither always finds the GPU warm.
      const order: Array<'int8' | 'float'> = i % 2 === 0 ? ['int8', 'float'] : ['float', 'int8'];
      const outputs: Record<'int8' | 'float', TensorData[]> = { int8: [], float: [] };
      for (const side of order) {
        const { value, ms } = await timed(() => models[side].run(inputs[side]));
        outputs[side] = value;
        wall[side].push(ms);
      }

      const top8 = argmax(outputs.int8[0]!) - offset8;
      const topF = argmax(outputs.float[0]!) - offsetF;
      if (top8 === topF) agreed++;
      if (item.label !== undefined) {
        labelled++;
        if (top8 === item.label) correct8++;
        if (topF === item.label) correctF++;
      }
      for (let k = 0; k < outputPairs; k++) {
        const q = asFloat(int8, int8.outputs[k]!, outputs.int8[k]!);
        const f = asFloat(float, float.outputs[k]!, outputs.float[k]!);
        if (q.length !== f.length) throw new CompareError(`output ${k}: ${q.length} values from '${int8.name}', ${f.length} from '${float.name}'`);
        outputStats[k]!.add(q, f);
      }

      const capture = i < captureInputs && matches.length > 0;
      if (capture || i < timedInputs) {
        const detailed = {
          int8: await models.int8.runDetailed(inputs.int8, { capture: capture ? matches.map((m) => m.int8Id) : [], timing: i < timedInputs && gpuTimed.int8 }),
          float: await models.float.runDetailed(inputs.float, { capture: capture ? matches.map((m) => m.floatId) : [], timing: i < timedInputs && gpuTimed.float }),
        };
        for (const side of ['int8', 'float'] as const) {
          const times = detailed[side].layerTimes;
          if (times) gpu[side].push(times.reduce((s, t) => s + t.ns, 0) / 1e6);
        }
        if (capture) {
          matches.forEach((m, j) => {
            if (skipped.has(j)) return;
            const q = detailed.int8.captured.get(m.int8Id);
            const f = detailed.float.captured.get(m.floatId);
            if (!q || !f) return void skipped.set(j, 'not captured');
            try {
              const qf = asFloat(int8, m.int8Id, q);
              const ff = asFloat(float, m.floatId, f);
              if (qf.length !== ff.length) return void skipped.set(j, `${qf.length} vs ${ff.length} values`);
              layerStats[j]!.add(qf, ff);
            } catch (e) {
              skipped.set(j, e instanceof Error ? e.message : String(e));
            }
          });
        }
      }
      options.onProgress?.({ done: i + 1, total: items.length, int8Correct: correct8, floatCorrect: correctF, agreed });
    }

    const side = (graph: Graph, model: OctetModel, source: ComparedModel['source'], correct: number, key: 'int8' | 'float'): ComparedModel => {
      const summary = inspectGraph(graph);
      const info = model.info();
      return {
        name: source === 'dequantizeGraph' ? `${graph.name} (dequantized to float32)` : graph.name,
        source,
        backend: model.backend,
        top1: labelled ? correct / labelled : null,
        correct,
        parameterCount: summary.parameterCount,
        weightBytes: summary.weightBytesStored,
        weightBytesFloat32: summary.weightBytesFloat32,
        gpuConstantBytes: info.gpuConstantBytes,
        activationBytesAllocated: info.activationBytesAllocated,
        latency: latencySummary(wall[key], gpu[key]),
      };
    };

    let layers: LayerReport | undefined;
    if (captureInputs > 0) {
      layers = {
        matching: derived ? 'id' : 'name+shape',
        capturedInputs: captureInputs,
        int8Activations: int8Count,
        floatActivations: floatCount,
        matched: matches.length,
        layers: [],
        skipped: [],
      };
      matches.forEach((m, j) => {
        const t = int8.tensors[m.int8Id]!;
        const reason = skipped.get(j);
        if (reason !== undefined) return void layers!.skipped.push({ name: t.name, reason });
        const s = layerStats[j]!;
        layers!.layers.push({
          opIndex: m.opIndex,
          opType: m.opType,
          int8TensorId: m.int8Id,
          floatTensorId: m.floatId,
          name: t.name,
          shape: t.shape.slice(),
          sqnrDb: s.signal > 0 && s.noise > 0 ? round(sqnrDb(s.signal, s.noise)!, 3) : null,
          identical: s.noise === 0,
          meanAbsDiff: s.count ? s.absSum / s.count : 0,
          maxAbsDiff: s.max,
        });
      });
      layers.layers.sort((a, b) => a.opIndex - b.opIndex);
      notes.push(`per-layer SQNR over the first ${captureInputs} of ${items.length} items`);
    }
    if (!timestamps) notes.push('no timestamp-query on this device: latency is wall time only');
    else if (timedInputs > 0) notes.push(`GPU time from timestamp-query on the first ${timedInputs} items`);
    if (int8Backend !== floatBackend) {
      notes.push(`int8 ran on the ${int8Backend === 'cpu' ? 'CPU reference' : 'GPU'}, float on the ${floatBackend === 'cpu' ? 'CPU reference' : 'GPU'}: their latencies are not comparable`);
    }
    if (derived) notes.push('float side: dequantizeGraph of the int8 model (same weights, float32 arithmetic)');

    return {
      dataset: dataset.name ?? '',
      n: items.length,
      labelled,
      adapter: options.context ? describeContext(options.context) : undefined,
      int8: side(int8, int8Model, 'file', correct8, 'int8'),
      float: side(float, floatModel, derived ? 'dequantizeGraph' : 'file', correctF, 'float'),
      agreement: agreed / items.length,
      agreed,
      outputs: outputStats.map((s, k) => ({
        index: k,
        name: int8.tensors[int8.outputs[k]!]!.name,
        elements: s.count,
        meanAbsDiff: s.count ? s.absSum / s.count : 0,
        maxAbsDiff: s.max,
      })),
      layers,
      gpuTimestamps: timestamps,
      seconds: round((performance.now() - start) / 1000, 3),
      notes,
    };
  } finally {
    int8Model.dispose();
    floatModel?.dispose();
  }
}
