// The CPU reference: runs a Graph with TFLite's integer semantics (int8, legacy uint8) or plain
// float32 math. It is the oracle the GPU kernels are tested against, so it favours being
// obviously TFLite's arithmetic over being fast; it is still fast enough for whole MobileNets
// because everything that does not depend on the input is prepared once.
import type { Graph, OpIR, OpOf, OpType } from '../model/graph.ts';
import {
  PrepareContext,
  ReferenceError,
  type ReferenceOptions,
  decodeConstant,
  elementCount,
  matchesDType,
  type Kernel,
  type TensorData,
  type TensorValues,
} from './common.ts';
import { prepareConv2D, prepareDepthwiseConv2D, prepareFullyConnected } from './ops/conv.ts';
import { prepareAdd, prepareDequantize, prepareMul, prepareQuantize, prepareRelu } from './ops/elementwise.ts';
import { prepareBinaryArith } from './ops/binary.ts';
import { prepareAveragePool2D, prepareMaxPool2D, prepareMean } from './ops/pool.ts';
import { prepareConcatenation, preparePad, prepareReshape, prepareTranspose } from './ops/shape.ts';
import { prepareLogistic, prepareSoftmax } from './ops/softmax.ts';

export { ReferenceError, type TensorData };
export type { ReferenceOptions, RequantizationMode } from './common.ts';

type Preparer<T extends OpType> = (op: OpOf<T>, ctx: PrepareContext) => Kernel;

const PREPARERS: { [T in OpType]: Preparer<T> } = {
  CONV_2D: prepareConv2D,
  DEPTHWISE_CONV_2D: prepareDepthwiseConv2D,
  FULLY_CONNECTED: prepareFullyConnected,
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
  SOFTMAX: prepareSoftmax,
  LOGISTIC: prepareLogistic,
  RELU: prepareRelu,
  RELU6: prepareRelu,
  RESHAPE: prepareReshape,
  SQUEEZE: prepareReshape,
  PAD: preparePad,
  TRANSPOSE: prepareTranspose,
  QUANTIZE: prepareQuantize,
  DEQUANTIZE: prepareDequantize,
  CONCATENATION: prepareConcatenation,
};

function prepareOp(op: OpIR, ctx: PrepareContext): Kernel {
  const prepare = PREPARERS[op.type] as Preparer<OpType> | undefined;
  if (!prepare) throw ctx.error('is not supported');
  return prepare(op as OpOf<OpType>, ctx);
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
 * Throws ReferenceError for the first operator the reference cannot run, so a model is
 * rejected before any input arrives.
 */
export function prepareReference(graph: Graph, options: ReferenceOptions = {}): PreparedReference {
  const constants: TensorValues = new Array(graph.tensors.length);
  for (const t of graph.tensors) if (t.data) constants[t.id] = decodeConstant(t);
  const kernels = graph.ops.map((op) => prepareOp(op, new PrepareContext(graph, op, constants, options)));

  const execute = (inputs: readonly TensorData[]): TensorValues => {
    if (inputs.length !== graph.inputs.length) {
      throw new ReferenceError(`reference: graph '${graph.name}' takes ${graph.inputs.length} inputs, got ${inputs.length}`);
    }
    const values: TensorValues = constants.slice();
    graph.inputs.forEach((id, i) => {
      const t = graph.tensors[id];
      const value = inputs[i];
      if (!matchesDType(value, t.dtype) || value.length !== elementCount(t)) {
        throw new ReferenceError(
          `reference: input ${i} ('${t.name}') must be ${elementCount(t)} ${t.dtype} values, ` +
            `got a ${value.constructor.name} of ${value.length}`,
        );
      }
      values[id] = value;
    });
    graph.ops.forEach((op, i) => {
      for (const id of op.inputs) {
        if (id >= 0 && values[id] === undefined) {
          throw new ReferenceError(
            `reference: ${op.type} reads tensor ${id} before anything writes it (operator ${op.index})`,
            op.index,
          );
        }
      }
      kernels[i](values);
    });
    return values;
  };

  return {
    graph,
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
