// The CPU reference: runs a Graph with TFLite's integer semantics (int8, legacy uint8) or plain
// float32 math. It is the oracle the GPU kernels are tested against, so it favours being
// obviously TFLite's arithmetic over being fast; it is still fast enough for whole MobileNets
// because everything that does not depend on the input is prepared once.
import { operatorName, type Graph, type OpIR, type OpOf, type OpType } from '../model/graph.ts';
import {
  PrepareContext,
  ReferenceRunError,
  type ReferenceOptions,
  decodeConstant,
  elementCount,
  matchesDType,
  type Kernel,
  type TensorData,
  type TensorValues,
  withDelegation,
} from './common.ts';
import { prepareConv2D, prepareDepthwiseConv2D, prepareFullyConnected } from './ops/conv.ts';
import { prepareAdd, prepareDequantize, prepareMul, prepareQuantize, prepareRelu } from './ops/elementwise.ts';
import { prepareBinaryArith } from './ops/binary.ts';
import { prepareAveragePool2D, prepareMaxPool2D, prepareMean } from './ops/pool.ts';
import { prepareConcatenation, preparePad, prepareReshape, prepareTranspose } from './ops/shape.ts';
import { prepareLogistic, prepareSoftmax } from './ops/softmax.ts';
import * as move from './ops/move.ts';
import { foldConstants } from '../passes/fold-constants.ts';
import { UNARY_PREPARERS, preparePrelu } from './ops/unary.ts';
import { prepareBatchMatMul, prepareTransposeConv } from './ops/tconv.ts';
import { prepareArgMinMax, prepareCast, prepareResizeBilinear, prepareResizeNearestNeighbor } from './ops/resize.ts';
import { prepareDetectionPostprocess } from './ops/detection.ts';
import { REDUCE_PREPARERS } from './ops/reduce.ts';

export { ReferenceRunError, type TensorData };
export type { ReferenceOptions, RequantizationMode } from './common.ts';

type Preparer<T extends OpType> = (op: OpOf<T>, ctx: PrepareContext) => Kernel;

const PREPARERS: { [T in OpType]: Preparer<T> } = {
  CONV_2D: prepareConv2D,
  DEPTHWISE_CONV_2D: prepareDepthwiseConv2D,
  FULLY_CONNECTED: prepareFullyConnected,
  // Convolution family additions.
  TRANSPOSE_CONV: prepareTransposeConv,
  BATCH_MATMUL: prepareBatchMatMul,
  ADD: prepareAdd,
  MUL: prepareMul,
  // binary arithmetic with broadcasting
  SUB: prepareBinaryArith,
  DIV: prepareBinaryArith,
  MAXIMUM: prepareBinaryArith,
  MINIMUM: prepareBinaryArith,
  SQUARED_DIFFERENCE: prepareBinaryArith,
  POW: prepareBinaryArith,
  FLOOR_DIV: prepareBinaryArith,
  FLOOR_MOD: prepareBinaryArith,
  AVERAGE_POOL_2D: prepareAveragePool2D,
  MAX_POOL_2D: prepareMaxPool2D,
  MEAN: prepareMean,
  // Reductions and normalizations.
  ...REDUCE_PREPARERS,
  SOFTMAX: prepareSoftmax,
  LOGISTIC: prepareLogistic,
  RELU: prepareRelu,
  RELU6: prepareRelu,
  // Unary activations and math.
  PRELU: preparePrelu,
  ...UNARY_PREPARERS,
  RESHAPE: prepareReshape,
  SQUEEZE: prepareReshape,
  PAD: preparePad,
  TRANSPOSE: prepareTranspose,
  // Data movement family.
  STRIDED_SLICE: move.prepareStridedSlice,
  SLICE: move.prepareSlice,
  SPLIT: move.prepareSplit,
  SPLIT_V: move.prepareSplitV,
  PACK: move.preparePack,
  UNPACK: move.prepareUnpack,
  GATHER: move.prepareGather,
  GATHER_ND: move.prepareGatherNd,
  TILE: move.prepareTile,
  EXPAND_DIMS: move.prepareExpandDims,
  SHAPE: move.prepareShape,
  BROADCAST_TO: move.prepareBroadcastTo,
  REVERSE_V2: move.prepareReverseV2,
  DEPTH_TO_SPACE: move.prepareDepthToSpace,
  SPACE_TO_DEPTH: move.prepareSpaceToDepth,
  SPACE_TO_BATCH_ND: move.prepareSpaceToBatchNd,
  BATCH_TO_SPACE_ND: move.prepareBatchToSpaceNd,
  QUANTIZE: prepareQuantize,
  DEQUANTIZE: prepareDequantize,
  CONCATENATION: prepareConcatenation,
  // Resize, arg reductions and casts.
  RESIZE_BILINEAR: prepareResizeBilinear,
  RESIZE_NEAREST_NEIGHBOR: prepareResizeNearestNeighbor,
  ARG_MAX: prepareArgMinMax,
  ARG_MIN: prepareArgMinMax,
  CAST: prepareCast,
  DETECTION_POSTPROCESS: prepareDetectionPostprocess,
};

function prepareOp(op: OpIR, ctx: PrepareContext): Kernel {
  const prepare = PREPARERS[op.type] as Preparer<OpType> | undefined;
  if (!prepare) throw ctx.error('is not supported');
  return prepare(op as OpOf<OpType>, ctx);
}

/**
 * Runs one op on constant inputs (the constant-folding pass): its kernel is prepared and run on
 * the graph's decoded constants; returns the op's outputs in order.
 */
export function evaluateOp(graph: Graph, op: OpIR, options: ReferenceOptions = {}): TensorData[] {
  const values: TensorValues = new Array(graph.tensors.length);
  for (const id of op.inputs) {
    const t = id >= 0 ? graph.tensors[id] : undefined;
    if (t?.data) values[id] = decodeConstant(t);
  }
  prepareOp(op, new PrepareContext(graph, op, values, options))(values);
  return op.outputs.map((id) => {
    const v = values[id];
    if (!v) throw new ReferenceRunError(`reference: ${op.type} wrote no value for output tensor ${id} (${operatorName(op)})`, op.index);
    return v;
  });
}

/** A graph with its constants decoded and every operator's kernel prepared. */
export interface PreparedReference {
  readonly graph: Graph;
  /** Graph outputs, in graph.outputs order. */
  run(inputs: readonly TensorData[]): TensorData[];
  /** Every tensor's value (inputs, constants, activations) by tensor id. */
  runAll(inputs: readonly TensorData[]): Map<number, TensorData>;
}

/**
 * Decodes the constants and prepares each operator (multipliers, offset weights, index maps).
 * Throws ReferenceRunError for the first operator the reference cannot run, so a model is
 * rejected before any input arrives.
 */
export function prepareReference(modelGraph: Graph, givenOptions: ReferenceOptions = {}): PreparedReference {
  // Whether the runtime's delegate takes the graph is decided on the graph as imported.
  const options = withDelegation(modelGraph, givenOptions);
  // Ops on constants (shape arithmetic) are computed once here; the original graph is kept for callers.
  const graph = foldConstants(modelGraph, options);
  const constants: TensorValues = new Array(graph.tensors.length);
  for (const t of graph.tensors) if (t.data) constants[t.id] = decodeConstant(t);
  const kernels = graph.ops.map((op) => prepareOp(op, new PrepareContext(graph, op, constants, options)));

  const execute = (inputs: readonly TensorData[]): TensorValues => {
    if (inputs.length !== graph.inputs.length) {
      throw new ReferenceRunError(`reference: graph '${graph.name}' takes ${graph.inputs.length} inputs, got ${inputs.length}`);
    }
    const values: TensorValues = constants.slice();
    graph.inputs.forEach((id, i) => {
      const t = graph.tensors[id];
      const value = inputs[i];
      if (!matchesDType(value, t.dtype) || value.length !== elementCount(t)) {
        throw new ReferenceRunError(
          `reference: input ${i} ('${t.name}') must be ${elementCount(t)} ${t.dtype} values, ` +
            `got a ${value.constructor.name} of ${value.length}`,
        );
      }
      values[id] = value;
    });
    graph.ops.forEach((op, i) => {
      for (const id of op.inputs) {
        if (id >= 0 && values[id] === undefined) {
          throw new ReferenceRunError(
            `reference: ${op.type} reads tensor ${id} before anything writes it (${operatorName(op)})`,
            op.index,
          );
        }
      }
      kernels[i](values);
    });
    return values;
  };

  return {
    graph: modelGraph,
    run(inputs) {
      const values = execute(inputs);
      return graph.outputs.map((id) => values[id]!);
    },
    runAll(inputs) {
      const values = execute(inputs);
      const all = new Map<number, TensorData>();
      values.forEach((v, id) => {
        if (v) all.set(id, v);
      });
      return all;
    },
  };
}

/** Runs the whole graph on the CPU; inputs in graph.inputs order, in each tensor's own dtype. Returns graph outputs in order. */
export function runReference(graph: Graph, inputs: TensorData[], options: ReferenceOptions = {}): TensorData[] {
  return prepareReference(graph, options).run(inputs);
}

/** Same, but returns every tensor's value by tensor id (activations and constants), for per-layer comparison and for testing single ops. */
export function runReferenceAll(
  graph: Graph,
  inputs: TensorData[],
  options: ReferenceOptions = {},
): Map<number, TensorData> {
  return prepareReference(graph, options).runAll(inputs);
}
