// Single-op graphs for the data movement family (STRIDED_SLICE … BATCH_TO_SPACE_ND): one data
// input (or several, for PACK), constant shape operands, and output shapes computed here from
// each op's definition (independently of Octet's kernels, except STRIDED_SLICE, whose mask
// logic is TFLite's and is checked against the TFLite runtime instead).
import type { DType, Graph, OpIR, OpOptionsByType, OpType, QuantParams } from '../../src/model/graph.ts';
import { tensorElementCount } from '../../src/model/graph.ts';
import { stridedSliceRanges } from '../../src/model/slice-ranges.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { GraphBuilder, quant } from './graphs.ts';
import { randInt } from './rng.ts';

export type MoveDType = 'int8' | 'uint8' | 'int32' | 'float32';

export const MOVE_DTYPES: MoveDType[] = ['int8', 'uint8', 'int32', 'float32'];

export function moveQuant(dtype: MoveDType): QuantParams | undefined {
  if (dtype === 'int8') return quant(0.05, -3);
  if (dtype === 'uint8') return quant(0.05, 131);
  return undefined;
}

/** A shape operand: int32 unless asked for int64. */
export interface IntOperand {
  values: number[];
  shape?: number[];
  dtype?: 'int32' | 'int64';
  /** A run-time input (GATHER / GATHER_ND indices) instead of a constant. */
  runtime?: boolean;
}

export interface MoveCase<T extends OpType = OpType> {
  type: T;
  dtype: MoveDType;
  /** Data input shapes (PACK: one per input). */
  inShapes: number[][];
  /** Operands in TFLite's input order; 'data' marks where the data input(s) go. */
  operands: Array<IntOperand | 'data'>;
  outShapes: number[][];
  options: OpOptionsByType[T];
}

function intData(o: IntOperand): ArrayBufferView {
  return o.dtype === 'int64' ? BigInt64Array.from(o.values.map(BigInt)) : Int32Array.from(o.values);
}

export function moveGraph(c: MoveCase): Graph {
  const b = new GraphBuilder();
  const q = moveQuant(c.dtype);
  const inputs: number[] = [];
  const graphInputs: number[] = [];
  for (const o of c.operands) {
    if (o === 'data') {
      for (const [k, shape] of c.inShapes.entries()) {
        const id = b.tensor(`input${k}`, shape, c.dtype as DType, q);
        inputs.push(id);
        graphInputs.push(id);
      }
      continue;
    }
    const shape = o.shape ?? [o.values.length];
    if (o.runtime) {
      const id = b.tensor('indices', shape, 'int32');
      inputs.push(id);
      graphInputs.push(id);
    } else inputs.push(b.tensor('operand', shape, o.dtype ?? 'int32', undefined, intData(o)));
  }
  const outputs = c.outShapes.map((s, k) => b.tensor(`output${k}`, s, c.dtype as DType, q));
  b.op({ type: c.type, inputs, outputs, options: c.options } as Omit<OpIR, 'index' | 'version'>);
  return b.build(graphInputs, outputs, `${c.type} ${c.dtype} ${c.inShapes.map((s) => `[${s}]`).join(' ')} ${JSON.stringify(c.operands.filter((o) => o !== 'data').map((o) => (o as IntOperand).values))} ${JSON.stringify(c.options)}`);
}

/** Random values for the graph's inputs: data in the dtype's range, indices from `indexValues`. */
export function moveInputs(rng: () => number, graph: Graph, indexValues?: number[]): TensorData[] {
  return graph.inputs.map((id) => {
    const t = graph.tensors[id]!;
    const n = tensorElementCount(t.shape);
    if (t.name === 'indices') return Int32Array.from(indexValues!);
    switch (t.dtype) {
      case 'int8':
        return Int8Array.from({ length: n }, () => randInt(rng, -128, 127));
      case 'uint8':
        return Uint8Array.from({ length: n }, () => randInt(rng, 0, 255));
      case 'int32':
        return Int32Array.from({ length: n }, () => randInt(rng, -(2 ** 31), 2 ** 31 - 1));
      default:
        return Float32Array.from({ length: n }, () => (rng() - 0.5) * 1e3);
    }
  });
}

// ---- case builders, one per op ------------------------------------------------------------------

type SSOptions = OpOptionsByType['STRIDED_SLICE'];
const SS_NONE: SSOptions = { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false };

export function stridedSliceCase(dtype: MoveDType, shape: number[], begin: number[], end: number[], strides: number[], o: Partial<SSOptions> = {}): MoveCase<'STRIDED_SLICE'> {
  const options = { ...SS_NONE, ...o };
  const { outShape } = stridedSliceRanges(shape, begin, end, strides, options, (p) => new Error(p));
  return { type: 'STRIDED_SLICE', dtype, inShapes: [shape], operands: ['data', { values: begin }, { values: end }, { values: strides }], outShapes: [outShape], options };
}

export function sliceCase(dtype: MoveDType, shape: number[], begin: number[], size: number[], int64 = false): MoveCase<'SLICE'> {
  const dt = int64 ? 'int64' : 'int32';
  const out = size.map((s, d) => (s === -1 ? shape[d]! - begin[d]! : s));
  return { type: 'SLICE', dtype, inShapes: [shape], operands: ['data', { values: begin, dtype: dt }, { values: size, dtype: dt }], outShapes: [out], options: {} };
}

export function splitCase(dtype: MoveDType, shape: number[], axis: number, n: number): MoveCase<'SPLIT'> {
  const a = axis < 0 ? axis + shape.length : axis;
  const out = shape.slice();
  out[a] = shape[a]! / n;
  return { type: 'SPLIT', dtype, inShapes: [shape], operands: [{ values: [axis], shape: [] }, 'data'], outShapes: Array.from({ length: n }, () => out), options: { numSplits: n } };
}

export function splitVCase(dtype: MoveDType, shape: number[], sizes: number[], axis: number): MoveCase<'SPLIT_V'> {
  const a = axis < 0 ? axis + shape.length : axis;
  const known = sizes.reduce((s, v) => (v === -1 ? s : s + v), 0);
  const outShapes = sizes.map((s) => shape.map((d, i) => (i === a ? (s === -1 ? shape[a]! - known : s) : d)));
  return { type: 'SPLIT_V', dtype, inShapes: [shape], operands: ['data', { values: sizes }, { values: [axis], shape: [] }], outShapes, options: { numSplits: sizes.length } };
}

export function packCase(dtype: MoveDType, shape: number[], n: number, axis: number): MoveCase<'PACK'> {
  const a = axis < 0 ? axis + shape.length + 1 : axis;
  const out = shape.slice();
  out.splice(a, 0, n);
  return { type: 'PACK', dtype, inShapes: Array.from({ length: n }, () => shape), operands: ['data'], outShapes: [out], options: { valuesCount: n, axis } };
}

export function unpackCase(dtype: MoveDType, shape: number[], axis: number): MoveCase<'UNPACK'> {
  const a = axis < 0 ? axis + shape.length : axis;
  const out = shape.filter((_, i) => i !== a);
  return { type: 'UNPACK', dtype, inShapes: [shape], operands: ['data'], outShapes: Array.from({ length: shape[a]! }, () => out), options: { num: shape[a]!, axis } };
}

export function gatherCase(dtype: MoveDType, shape: number[], indices: IntOperand & { shape: number[] }, axis: number, batchDims = 0): MoveCase<'GATHER'> {
  const a = axis < 0 ? axis + shape.length : axis;
  const out = [...shape.slice(0, a), ...indices.shape.slice(batchDims), ...shape.slice(a + 1)];
  return { type: 'GATHER', dtype, inShapes: [shape], operands: ['data', indices], outShapes: [out], options: { axis, batchDims } };
}

export function gatherNdCase(dtype: MoveDType, shape: number[], indices: IntOperand & { shape: number[] }): MoveCase<'GATHER_ND'> {
  const k = indices.shape[indices.shape.length - 1]!;
  return { type: 'GATHER_ND', dtype, inShapes: [shape], operands: ['data', indices], outShapes: [[...indices.shape.slice(0, -1), ...shape.slice(k)]], options: {} };
}

export function tileCase(dtype: MoveDType, shape: number[], multiples: number[], int64 = false): MoveCase<'TILE'> {
  return { type: 'TILE', dtype, inShapes: [shape], operands: ['data', { values: multiples, dtype: int64 ? 'int64' : 'int32' }], outShapes: [shape.map((d, i) => d * multiples[i]!)], options: {} };
}

export function broadcastToCase(dtype: MoveDType, shape: number[], to: number[]): MoveCase<'BROADCAST_TO'> {
  return { type: 'BROADCAST_TO', dtype, inShapes: [shape], operands: ['data', { values: to }], outShapes: [to], options: {} };
}

export function expandDimsCase(dtype: MoveDType, shape: number[], axis: number): MoveCase<'EXPAND_DIMS'> {
  const a = axis < 0 ? axis + shape.length + 1 : axis;
  const out = shape.slice();
  out.splice(a, 0, 1);
  return { type: 'EXPAND_DIMS', dtype, inShapes: [shape], operands: ['data', { values: [axis], shape: [] }], outShapes: [out], options: {} };
}

export function reverseCase(dtype: MoveDType, shape: number[], axes: number[]): MoveCase<'REVERSE_V2'> {
  return { type: 'REVERSE_V2', dtype, inShapes: [shape], operands: ['data', { values: axes }], outShapes: [shape], options: {} };
}

export function depthToSpaceCase(dtype: MoveDType, shape: number[], b: number): MoveCase<'DEPTH_TO_SPACE'> {
  const [n, h, w, c] = shape as [number, number, number, number];
  return { type: 'DEPTH_TO_SPACE', dtype, inShapes: [shape], operands: ['data'], outShapes: [[n, h * b, w * b, c / (b * b)]], options: { blockSize: b } };
}

export function spaceToDepthCase(dtype: MoveDType, shape: number[], b: number): MoveCase<'SPACE_TO_DEPTH'> {
  const [n, h, w, c] = shape as [number, number, number, number];
  return { type: 'SPACE_TO_DEPTH', dtype, inShapes: [shape], operands: ['data'], outShapes: [[n, h / b, w / b, c * b * b]], options: { blockSize: b } };
}

export function spaceToBatchCase(dtype: MoveDType, shape: number[], block: number[], pads: number[]): MoveCase<'SPACE_TO_BATCH_ND'> {
  const m = block.length;
  const out = [shape[0]! * block.reduce((a, v) => a * v, 1), ...block.map((bl, i) => (shape[1 + i]! + pads[2 * i]! + pads[2 * i + 1]!) / bl), ...shape.slice(1 + m)];
  return { type: 'SPACE_TO_BATCH_ND', dtype, inShapes: [shape], operands: ['data', { values: block }, { values: pads, shape: [m, 2] }], outShapes: [out], options: {} };
}

export function batchToSpaceCase(dtype: MoveDType, shape: number[], block: number[], crops: number[]): MoveCase<'BATCH_TO_SPACE_ND'> {
  const m = block.length;
  const out = [shape[0]! / block.reduce((a, v) => a * v, 1), ...block.map((bl, i) => shape[1 + i]! * bl - crops[2 * i]! - crops[2 * i + 1]!), ...shape.slice(1 + m)];
  return { type: 'BATCH_TO_SPACE_ND', dtype, inShapes: [shape], operands: ['data', { values: block }, { values: crops, shape: [m, 2] }], outShapes: [out], options: {} };
}
