// A readable summary of a Graph: what ops it uses, what its tensors are, how big its weights are.
// Used by the CLI's `inspect` command and the demo's model panel.

import {
  DTYPE_BYTES,
  isOpaqueOp,
  tensorElementCount,
  type DType,
  type Graph,
  type GraphListing,
  type OpIR,
  type QuantParams,
  type TensorIR,
} from './graph.ts';

/**
 * Where an operator would run: a GPU path; the host, after the GPU program reads back its inputs
 * (TFLite_Detection_PostProcess); or nowhere (with the reason).
 */
export type OpPlacement =
  | { runsOn: 'int8 GPU' | 'float GPU' }
  | { runsOn: 'host'; reason: string }
  | { runsOn: 'not supported'; reason: string };

/** Why a host op runs where it does, as `octet inspect` shows it. */
export const HOST_PLACEMENT: OpPlacement = { runsOn: 'host', reason: 'on the CPU after the GPU program, on its read-back inputs' };

/**
 * Whether an op runs on the host after the GPU program (src/runtime/host-tail.ts): the SSD box
 * decoder (TFLite_Detection_PostProcess: a sequential sort and NMS, small next to the network),
 * and 8-bit LOG_SOFTMAX, whose TFLite result rounds logf of a float32 sum: WGSL's log has no
 * correctly-rounded guarantee, so no GPU kernel can promise TFLite's bytes, and at the end of a
 * classifier (where it stands) the reference's kernel costs one readback that the run makes anyway.
 */
export function runsOnHost(graph: Pick<Graph, 'tensors'> | Pick<GraphListing, 'tensors'>, op: OpIR): boolean {
  if (op.type === 'DETECTION_POSTPROCESS') return true;
  return op.type === 'LOG_SOFTMAX' && graph.tensors[op.inputs[0]!]?.dtype !== 'float32';
}

export interface OperatorSummary {
  index: number;
  /** The op type, or the TFLite name of an op Octet does not read (CUSTOM ops as `CUSTOM 'code'`). */
  op: string;
  version: number;
  runsOn: OpPlacement['runsOn'];
  reason?: string;
}

export interface TensorSummary {
  id: number;
  name: string;
  shape: number[];
  dtype: DType;
  /** "none", "per-tensor scale=… zp=…", or "per-channel axis=k (n channels)". */
  quant: string;
  /** True for tensors with constant data (weights, biases, shape operands). */
  constant: boolean;
  bytes: number;
}

export interface IODescription {
  id: number;
  name: string;
  shape: number[];
  dtype: DType;
  quant: string;
}

export interface ModelSummary {
  name: string;
  description: string;
  opCount: number;
  /** Op types with how often each occurs, most frequent first (ties by name). */
  opTypeCounts: { type: string; count: number }[];
  /** Every operator in order, with where it would run (when a placement was given). */
  operators: OperatorSummary[];
  /** The distinct names of the operators that are not supported, in first-use order (empty when all run). */
  unsupportedOps: string[];
  tensors: TensorSummary[];
  /** Elements of the constant tensors that are parameters (see `isParameter`). */
  parameterCount: number;
  /** Bytes of those parameters as stored in the model (int8 weights, int32 biases, ...). */
  weightBytesStored: number;
  /** Bytes the same parameters would take as float32. */
  weightBytesFloat32: number;
  /** Activation bytes if every non-constant tensor had its own buffer (an upper bound; the planner reuses). */
  activationBytesUnshared: number;
  inputs: IODescription[];
  outputs: IODescription[];
}

/**
 * Learned parameters: constant float tensors and constant quantized tensors. Constant integer
 * tensors without quantization (reshape shapes, reduction axes, paddings) are operands, not weights.
 */
function isParameter(t: TensorIR): boolean {
  return !!t.data && (t.dtype === 'float32' || t.quant !== undefined);
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(6).replace(/\.?0+$/, '');
}

export function describeQuant(q: QuantParams | undefined): string {
  if (!q) return 'none';
  if (q.scale.length === 1) return `per-tensor scale=${fmt(q.scale[0])} zp=${q.zeroPoint[0]}`;
  return `per-channel axis=${q.axis} (${q.scale.length} channels)`;
}

/**
 * Summarizes a graph, or a listing that keeps unsupported operators as opaque entries
 * (importTfliteListing). `placement` says where each readable operator would run (the CLI passes
 * the GPU registry's answer); without it readable ops are listed as supported on the int8 or float
 * path by their first input's dtype.
 */
export function inspectGraph(g: Graph | GraphListing, placement?: (op: OpIR) => OpPlacement): ModelSummary {
  const counts = new Map<string, number>();
  const operators: OperatorSummary[] = g.ops.map((op) => {
    if (isOpaqueOp(op)) return { index: op.index, op: op.name, version: op.version, runsOn: 'not supported', reason: op.reason };
    const where = placement ? placement(op) : defaultPlacement(g, op);
    return { index: op.index, op: op.type, version: op.version, ...where };
  });
  for (const o of operators) counts.set(o.op, (counts.get(o.op) ?? 0) + 1);
  const opTypeCounts = [...counts]
    .map(([type, count]) => ({ type, count }))
    .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type));
  const unsupportedOps = [...new Set(operators.filter((o) => o.runsOn === 'not supported').map((o) => o.op))];

  let parameterCount = 0;
  let weightBytesStored = 0;
  let activationBytesUnshared = 0;
  const tensors = g.tensors.map((t): TensorSummary => {
    const elements = tensorElementCount(t.shape);
    const bytes = elements * DTYPE_BYTES[t.dtype];
    if (isParameter(t)) {
      parameterCount += elements;
      weightBytesStored += bytes;
    } else if (!t.data) {
      activationBytesUnshared += bytes;
    }
    return { id: t.id, name: t.name, shape: t.shape, dtype: t.dtype, quant: describeQuant(t.quant), constant: !!t.data, bytes };
  });
  const io = (id: number): IODescription => {
    const t = g.tensors[id];
    return { id, name: t.name, shape: t.shape, dtype: t.dtype, quant: describeQuant(t.quant) };
  };
  return {
    name: g.name,
    description: g.description,
    opCount: g.ops.length,
    opTypeCounts,
    operators,
    unsupportedOps,
    tensors,
    parameterCount,
    weightBytesStored,
    weightBytesFloat32: parameterCount * 4,
    activationBytesUnshared,
    inputs: g.inputs.map(io),
    outputs: g.outputs.map(io),
  };
}

/** The GPU path an op's dtypes select (QUANTIZE, float in and 8 bits out, is int8; so is DEQUANTIZE). */
function defaultPlacement(g: Graph | GraphListing, op: OpIR): OpPlacement {
  if (runsOnHost(g, op)) return HOST_PLACEMENT;
  const first = g.tensors[op.inputs[0]!];
  return { runsOn: op.type !== 'QUANTIZE' && first?.dtype === 'float32' ? 'float GPU' : 'int8 GPU' };
}

function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(2)} MiB`;
}

function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((s, c) => s.padEnd(widths[c])).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** A plain-text report for a terminal: header, I/O, op counts, sizes, then the tensor table. */
export function formatSummary(s: ModelSummary): string {
  const shape = (d: number[]) => `[${d.join(',')}]`;
  const ratio = s.weightBytesStored > 0 ? (s.weightBytesFloat32 / s.weightBytesStored).toFixed(2) : '-';
  const out: string[] = [];
  out.push(`model: ${s.name || '(unnamed)'}${s.description ? `  (${s.description})` : ''}`);
  out.push('');
  const ioRows = [
    ...s.inputs.map((t) => ['input', String(t.id), t.name, shape(t.shape), t.dtype, t.quant]),
    ...s.outputs.map((t) => ['output', String(t.id), t.name, shape(t.shape), t.dtype, t.quant]),
  ];
  out.push(...table(['role', 'id', 'name', 'shape', 'dtype', 'quantization'], ioRows));
  out.push('');
  if (s.unsupportedOps.length > 0) {
    const count = s.operators.filter((o) => o.runsOn === 'not supported').length;
    out.push(`not supported: ${s.unsupportedOps.join(', ')} (${count} of ${s.opCount} operators): Octet cannot run this model`);
    out.push('');
  }
  out.push(`operators: ${s.opCount}`);
  out.push(...table(['op', 'count'], s.opTypeCounts.map((o) => [o.type, String(o.count)])));
  out.push('');
  out.push(
    ...table(
      ['#', 'op', 'version', 'runs on', 'reason'],
      s.operators.map((o) => [String(o.index), o.op, String(o.version), o.runsOn, o.reason ?? '']),
    ),
  );
  out.push('');
  out.push(`parameters: ${s.parameterCount.toLocaleString('en-US')}`);
  out.push(`weights: ${humanBytes(s.weightBytesStored)} stored, ${humanBytes(s.weightBytesFloat32)} as float32 (${ratio}x)`);
  out.push(`activations (unshared upper bound): ${humanBytes(s.activationBytesUnshared)}`);
  out.push('');
  out.push(
    ...table(
      ['id', 'name', 'shape', 'dtype', 'kind', 'bytes', 'quantization'],
      s.tensors.map((t) => [
        String(t.id),
        t.name,
        shape(t.shape),
        t.dtype,
        t.constant ? 'const' : 'act',
        String(t.bytes),
        t.quant,
      ]),
    ),
  );
  return out.join('\n');
}
