// The float tf.js version of an Octet graph (used by the TF.js WebGPU peer, in Node through
// tfjs-webgpu.ts and in the browser bench's page): every 8-bit constant is dequantized (real =
// scale × (q − zero point), per channel), activations are float, QUANTIZE/DEQUANTIZE are
// identities. Nothing here touches Node, so the page can bundle it.
import * as tf from '@tensorflow/tfjs-core';
import type { Activation, Graph, OpIR, TensorIR } from '../../src/model/graph.ts';
import { tensorElementCount } from '../../src/model/graph.ts';
import { constantData, dequantizeTensor } from '../../src/quant/tensor.ts';

export class TfjsUnsupportedOp extends Error {
  override name = 'TfjsUnsupportedOp';
}

function floatConstant(t: TensorIR): tf.Tensor {
  const raw = constantData(t);
  let values: Float32Array | Int32Array;
  if (t.dtype === 'float32') values = raw as Float32Array;
  else if (t.quant && (t.dtype === 'int8' || t.dtype === 'uint8' || t.dtype === 'int32')) {
    values = dequantizeTensor(raw as Int8Array | Uint8Array | Int32Array, t.shape, t.quant);
  } else if (t.dtype === 'int32') values = raw as Int32Array;
  else throw new TfjsUnsupportedOp(`constant '${t.name}' of dtype ${t.dtype}`);
  return tf.tensor(values, t.shape.length ? t.shape : [], values instanceof Int32Array ? 'int32' : 'float32');
}

function activate(x: tf.Tensor, a: Activation): tf.Tensor {
  switch (a) {
    case 'NONE':
      return x;
    case 'RELU':
      return tf.relu(x);
    case 'RELU6':
      return tf.relu6(x);
    case 'RELU_N1_TO_1':
      return tf.clipByValue(x, -1, 1);
    case 'TANH':
      return tf.tanh(x);
    default:
      throw new TfjsUnsupportedOp(`fused activation ${a}`);
  }
}

const pad = (p: 'SAME' | 'VALID') => (p === 'SAME' ? 'same' : 'valid');

/** A float tf.js version of an Octet graph: weights prepared once, `run` executes it. */
export class TfjsGraph {
  private readonly constants = new Map<number, tf.Tensor>();

  constructor(readonly graph: Graph) {
    for (const op of graph.ops) this.check(op);
    // Weights are converted to tf.js layouts once, outside the timed runs (and outside tidy, which
    // would dispose them).
    for (const op of graph.ops) {
      for (const id of op.inputs) if (id >= 0 && graph.tensors[id]!.data) this.constant(id);
      if (op.type === 'CONV_2D') {
        // TFLite [O, H, W, I] → tf.js [H, W, I, O].
        const raw = this.constant(op.inputs[1]!);
        this.constants.set(op.inputs[1]!, tf.transpose(raw, [1, 2, 3, 0]));
        raw.dispose();
      } else if (op.type === 'DEPTHWISE_CONV_2D') {
        // TFLite [1, H, W, C·M] → tf.js [H, W, C, M].
        const f = this.graph.tensors[op.inputs[1]!]!;
        const inC = this.graph.tensors[op.inputs[0]!]!.shape[3]!;
        const [, h, w, cm] = f.shape as [number, number, number, number];
        const raw = this.constant(op.inputs[1]!);
        this.constants.set(op.inputs[1]!, tf.reshape(raw, [h, w, inC, cm / inC]));
      }
    }
  }

  private check(op: OpIR): void {
    const supported = new Set([
      'CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'ADD', 'MUL', 'AVERAGE_POOL_2D', 'MAX_POOL_2D', 'MEAN',
      'SOFTMAX', 'LOGISTIC', 'RELU', 'RELU6', 'RESHAPE', 'SQUEEZE', 'PAD', 'CONCATENATION', 'QUANTIZE', 'DEQUANTIZE', 'TRANSPOSE',
    ]);
    if (!supported.has(op.type)) throw new TfjsUnsupportedOp(`op ${op.type} at ${op.index}`);
  }

  private constant(id: number): tf.Tensor {
    let c = this.constants.get(id);
    if (!c) {
      c = floatConstant(this.graph.tensors[id]!);
      this.constants.set(id, c);
    }
    return c;
  }

  /** Float inputs (one per graph input, in the graph's shapes); resolves to the float outputs. */
  async run(inputs: Float32Array[]): Promise<Float32Array[]> {
    const outs = tf.tidy(() => {
      const values = new Map<number, tf.Tensor>();
      this.graph.inputs.forEach((id, i) => values.set(id, tf.tensor(inputs[i]!, this.graph.tensors[id]!.shape, 'float32')));
      const get = (id: number): tf.Tensor => {
        const v = values.get(id);
        if (v) return v;
        if (this.graph.tensors[id]?.data) return this.constant(id);
        throw new Error(`tensor ${id} has no value yet`);
      };
      for (const op of this.graph.ops) {
        const out = this.graph.tensors[op.outputs[0]!]!;
        values.set(out.id, this.apply(op, get, out));
      }
      return this.graph.outputs.map((id) => values.get(id)!);
    });
    try {
      return (await Promise.all(outs.map((t) => t.data()))) as Float32Array[];
    } finally {
      for (const t of outs) t.dispose();
    }
  }

  private apply(op: OpIR, get: (id: number) => tf.Tensor, out: TensorIR): tf.Tensor {
    const x = get(op.inputs[0]!);
    const bias = (i: number) => (op.inputs[i] !== undefined && op.inputs[i]! >= 0 ? get(op.inputs[i]!) : undefined);
    switch (op.type) {
      case 'CONV_2D': {
        const o = op.options;
        let y = tf.conv2d(x as tf.Tensor4D, get(op.inputs[1]!) as tf.Tensor4D, [o.strideH, o.strideW], pad(o.padding), 'NHWC', [o.dilationH, o.dilationW]);
        const b = bias(2);
        if (b) y = tf.add(y, b);
        return activate(y, o.activation);
      }
      case 'DEPTHWISE_CONV_2D': {
        const o = op.options;
        let y = tf.depthwiseConv2d(x as tf.Tensor4D, get(op.inputs[1]!) as tf.Tensor4D, [o.strideH, o.strideW], pad(o.padding), 'NHWC', [o.dilationH, o.dilationW]);
        const b = bias(2);
        if (b) y = tf.add(y, b);
        return activate(y, o.activation);
      }
      case 'FULLY_CONNECTED': {
        const w = get(op.inputs[1]!);
        const depth = w.shape[1]!;
        let y: tf.Tensor = tf.matMul(tf.reshape(x, [-1, depth]) as tf.Tensor2D, w as tf.Tensor2D, false, true);
        const b = bias(2);
        if (b) y = tf.add(y, b);
        return tf.reshape(activate(y, op.options.activation), out.shape);
      }
      case 'ADD':
        return activate(tf.add(x, get(op.inputs[1]!)), op.options.activation);
      case 'MUL':
        return activate(tf.mul(x, get(op.inputs[1]!)), op.options.activation);
      case 'AVERAGE_POOL_2D':
      case 'MAX_POOL_2D': {
        const o = op.options;
        const f = op.type === 'AVERAGE_POOL_2D' ? tf.avgPool : tf.maxPool;
        return activate(f(x as tf.Tensor4D, [o.filterH, o.filterW], [o.strideH, o.strideW], pad(o.padding)), o.activation);
      }
      case 'MEAN': {
        const axes = Array.from(constantData(this.graph.tensors[op.inputs[1]!]!) as Int32Array);
        return tf.mean(x, axes, op.options.keepDims);
      }
      case 'SOFTMAX':
        return tf.softmax(op.options.beta === 1 ? x : tf.mul(x, op.options.beta));
      case 'LOGISTIC':
        return tf.sigmoid(x);
      case 'RELU':
        return tf.relu(x);
      case 'RELU6':
        return tf.relu6(x);
      case 'RESHAPE':
      case 'SQUEEZE':
      case 'QUANTIZE':
      case 'DEQUANTIZE':
        return tf.reshape(x, out.shape);
      case 'PAD': {
        const p = Array.from(constantData(this.graph.tensors[op.inputs[1]!]!) as Int32Array);
        const pairs: Array<[number, number]> = [];
        for (let i = 0; i < p.length; i += 2) pairs.push([p[i]!, p[i + 1]!]);
        return tf.pad(x, pairs);
      }
      case 'TRANSPOSE':
        return tf.transpose(x, Array.from(constantData(this.graph.tensors[op.inputs[1]!]!) as Int32Array));
      case 'CONCATENATION':
        return activate(tf.concat(op.inputs.map(get), op.options.axis < 0 ? op.options.axis + out.shape.length : op.options.axis), op.options.activation);
      default:
        throw new TfjsUnsupportedOp(`op ${(op as OpIR).type}`);
    }
  }

  dispose(): void {
    for (const t of this.constants.values()) t.dispose();
    this.constants.clear();
  }
}

/** Float input for an 8-bit graph input: the dequantized values of `data`. */
export function floatInputFor(t: TensorIR, data: Int8Array | Uint8Array | Float32Array): Float32Array {
  if (data instanceof Float32Array) return data;
  if (!t.quant) return Float32Array.from(data);
  return dequantizeTensor(data, t.shape, t.quant);
}

export const elementCount = (t: TensorIR) => tensorElementCount(t.shape);
