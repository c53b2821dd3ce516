// The fuzz oracle: what importTflite may do with any input.
//   - return a Graph, or throw one of the typed model errors (isModelError); nothing else escapes;
//   - finish within timeLimitMs(size) (measured per input; one retry absorbs a scheduling hiccup);
//   - hold file-backed data linear in the file's size (ALLOCATION CAP, below);
//   - a returned Graph is sane: ids match positions, shapes are non-negative integers within the
//     element limit, constant data length = elements × dtype size, inspectGraph works, and
//     exportTflite → importTflite gives the same graph back.
//
// Allocation cap. Everything the importer keeps comes from the file: constant data bytes, int32
// shape/index entries, float32 scales + int64 zero points, name characters. Counted at their size in
// the file, an import that reads each byte of the file at most once holds at most file-size bytes.
// More means the importer followed shared (aliased) offsets and read the same bytes repeatedly,
// which lets a small hostile file make it allocate quadratically much. Shared buffers are copied
// once; shared tensor tables are legal and re-read per reference (their shapes and names), which
// the importer charges to a budget linear in the file (importReadBudget). The cap is therefore
// retainedBytes(graph) ≤ importReadBudget(bytes.length), checked exactly (no heap sampling, no GC
// noise): linear, where the bugs it guards against were quadratic. Imports that
// throw are held to a coarser cap on ArrayBuffer growth during the call (transientCap, below).
import { importReadBudget, importTflite } from '../src/model/import.ts';
import { isModelError } from '../src/model/errors.ts';
import { DTYPE_BYTES, tensorElementCount, type Graph } from '../src/model/graph.ts';
import { inspectGraph } from '../src/model/inspect.ts';
import { exportTflite } from '../src/model/tflite-writer.ts';

/**
 * Per-input time bound: 200 ms, plus 150 ms per MiB of input so that importing a 4 MB asset model on
 * a loaded machine is not a failure (an honest import is linear in the file size; a hang or a
 * quadratic blow-up is not). Octet-made seeds and their mutants are < 4 KiB: 200 ms flat.
 */
export const TIME_LIMIT_MS = 200;
export const TIME_LIMIT_MS_PER_MIB = 150;
export const timeLimitMs = (bytes: number) => TIME_LIMIT_MS + (TIME_LIMIT_MS_PER_MIB * bytes) / (1 << 20);
const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

export const OUTCOME_CLASSES = ['ok', 'ModelFormatError', 'UnsupportedOpError', 'UnsupportedTensorTypeError'] as const;
export type OutcomeClass = (typeof OUTCOME_CLASSES)[number];
export type FailureKind = 'untyped-error' | 'slow' | 'allocation-cap' | 'invariant';

export interface Verdict {
  /** What the importer did (for a failure: what it returned or threw before the oracle objected). */
  outcome: OutcomeClass | 'untyped-error';
  failure?: { kind: FailureKind; message: string; stack?: string };
  /** The error's `where` (typed errors), to see how deep into the file the damage was noticed. */
  where?: string;
  ms: number;
  retainedBytes?: number;
}

/**
 * File-backed bytes a graph holds, each counted at its size in the file (see the allocation cap).
 * An array shared by several tensors (one copy of a shared buffer) counts once.
 */
export function retainedBytes(g: Graph): number {
  const seen = new Set<object>();
  const once = (a: ArrayLike<unknown> & object, bytesPer: number) => {
    if (seen.has(a)) return 0;
    seen.add(a);
    return a.length * bytesPer;
  };
  let n = g.name.length + g.description.length + 4 * (g.inputs.length + g.outputs.length);
  for (const t of g.tensors) {
    n += t.name.length + once(t.shape, 4) + (t.data ? once(t.data, 1) : 0);
    if (t.quant) n += once(t.quant.scale, 4) + once(t.quant.zeroPoint, 8);
  }
  for (const op of g.ops) {
    n += once(op.inputs, 4) + once(op.outputs, 4);
    const o = op.options as { newShape?: number[]; squeezeDims?: number[] };
    if (o.newShape) n += once(o.newShape, 4);
    if (o.squeezeDims) n += once(o.squeezeDims, 4);
  }
  return n;
}

/**
 * Second allocation check, for imports that throw (nothing retained to count): growth of the
 * process's ArrayBuffer memory across the call, before any GC can run between the two samples
 * (a GC during the import only lowers it, so it never reports too much). It sees copies of tensor
 * data, not small arrays; the slack keeps it quiet for small files, where retainedBytes is exact.
 */
export const TRANSIENT_CAP_FACTOR = 2;
export const TRANSIENT_CAP_SLACK = 1 << 20;
export const transientCap = (bytes: number) => TRANSIENT_CAP_FACTOR * bytes + TRANSIENT_CAP_SLACK;

function timedImport(bytes: Uint8Array): { graph?: Graph; error?: unknown; ms: number; arrayBufferGrowth: number } {
  const before = process.memoryUsage().arrayBuffers;
  const start = performance.now();
  let graph: Graph | undefined;
  let error: unknown;
  try {
    graph = importTflite(bytes);
  } catch (e) {
    error = e ?? new Error(String(e));
  }
  const ms = performance.now() - start;
  return { graph, error, ms, arrayBufferGrowth: process.memoryUsage().arrayBuffers - before };
}

/** The first difference between two values (graphs), or undefined when they are equal. */
export function firstDifference(a: unknown, b: unknown, path = 'graph'): string | undefined {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) ? undefined : `${path}: ${a} vs ${b}`;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return a === b ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
  }
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b) || Array.isArray(a) || Array.isArray(b)) {
    if (a.constructor !== b.constructor) return `${path}: ${a.constructor.name} vs ${b.constructor.name}`;
    const x = a as ArrayLike<unknown>;
    const y = b as ArrayLike<unknown>;
    if (x.length !== y.length) return `${path}: length ${x.length} vs ${y.length}`;
    for (let i = 0; i < x.length; i++) {
      const d = firstDifference(x[i], y[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined).sort();
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined).sort();
  if (ka.join() !== kb.join()) return `${path}: keys {${ka}} vs {${kb}}`;
  for (const k of ka) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

/** Sanity of a graph the importer returned; the first violation, or undefined. */
export function graphViolation(g: Graph): string | undefined {
  for (let i = 0; i < g.tensors.length; i++) {
    const t = g.tensors[i]!;
    if (t.id !== i) return `tensor ${i} has id ${t.id}`;
    if (!(t.dtype in DTYPE_BYTES)) return `tensor ${i} has dtype ${t.dtype}`;
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return `tensor ${i} has shape [${t.shape}]`;
    const elements = tensorElementCount(t.shape);
    if (!(elements <= MAX_TENSOR_ELEMENTS)) return `tensor ${i} shape [${t.shape}] has ${elements} elements`;
    if (t.data && t.data.length > 0 && t.data.length !== elements * DTYPE_BYTES[t.dtype]) {
      return `tensor ${i}: ${t.data.length} data bytes for shape [${t.shape}] of ${t.dtype}`;
    }
    if (t.quant) {
      const { scale, zeroPoint, axis } = t.quant;
      if (scale.length === 0 || scale.length !== zeroPoint.length) return `tensor ${i}: ${scale.length} scales, ${zeroPoint.length} zero points`;
      if (!scale.every((s) => Number.isFinite(s) && s >= 0)) return `tensor ${i}: scale ${Array.from(scale)}`;
      if (scale.length > 1 && scale.length !== t.shape[axis]) return `tensor ${i}: ${scale.length} scales along axis ${axis} of [${t.shape}]`;
    }
  }
  const inRange = (id: number) => Number.isInteger(id) && id >= 0 && id < g.tensors.length;
  for (const op of g.ops) {
    if (!op.inputs.every((id) => id === -1 || inRange(id)) || !op.outputs.every(inRange)) return `operator ${op.index} tensor index out of range`;
  }
  if (!g.inputs.every(inRange) || !g.outputs.every(inRange)) return 'graph I/O index out of range';
  return undefined;
}

/** Runs one input through the importer and judges it. Never throws. */
export function checkInput(bytes: Uint8Array): Verdict {
  const limit = timeLimitMs(bytes.length);
  let r = timedImport(bytes);
  if (r.ms > limit) {
    // A descheduled or GC-paused process on shared cores: only a second slow run counts.
    const again = timedImport(bytes);
    if (again.ms < r.ms) r = { ...r, ms: again.ms };
  }
  const ms = r.ms;
  const transient =
    r.arrayBufferGrowth > transientCap(bytes.length)
      ? {
          kind: 'allocation-cap' as const,
          message: `import allocated ${r.arrayBufferGrowth} bytes of ArrayBuffers for a ${bytes.length}-byte file (cap ${transientCap(bytes.length)})`,
        }
      : undefined;
  if (r.error !== undefined) {
    if (!isModelError(r.error)) {
      const e = r.error as Error;
      return {
        outcome: 'untyped-error',
        ms,
        failure: { kind: 'untyped-error', message: `${e?.name ?? typeof e}: ${e?.message ?? String(e)}`, stack: e?.stack },
      };
    }
    const where = 'where' in r.error ? r.error.where : `operator ${r.error.opIndex}`;
    const verdict: Verdict = { outcome: r.error.name as OutcomeClass, where, ms };
    if (ms > limit) verdict.failure = { kind: 'slow', message: `import took ${ms.toFixed(1)} ms twice (limit ${limit.toFixed(0)} ms), then threw ${r.error.message}` };
    else if (transient) verdict.failure = { ...transient, message: `${transient.message}, then threw ${r.error.message}` };
    return verdict;
  }
  const graph = r.graph!;
  const verdict: Verdict = { outcome: 'ok', ms, retainedBytes: retainedBytes(graph) };
  if (ms > limit) {
    verdict.failure = { kind: 'slow', message: `import took ${ms.toFixed(1)} ms twice (limit ${limit.toFixed(0)} ms)` };
    return verdict;
  }
  if (transient) {
    verdict.failure = transient;
    return verdict;
  }
  if (verdict.retainedBytes! > importReadBudget(bytes.length)) {
    verdict.failure = {
      kind: 'allocation-cap',
      message: `graph holds ${verdict.retainedBytes} file-backed bytes from a ${bytes.length}-byte file (${(verdict.retainedBytes! / bytes.length).toFixed(1)}×)`,
    };
    return verdict;
  }
  const violation = graphViolation(graph);
  if (violation) {
    verdict.failure = { kind: 'invariant', message: violation };
    return verdict;
  }
  try {
    inspectGraph(graph);
    const again = importTflite(exportTflite(graph));
    const diff = firstDifference(graph, again);
    if (diff) verdict.failure = { kind: 'invariant', message: `export → import round trip differs at ${diff}` };
  } catch (e) {
    const err = e as Error;
    verdict.failure = { kind: 'invariant', message: `round trip / inspect threw ${err?.name}: ${err?.message}`, stack: err?.stack };
  }
  return verdict;
}
