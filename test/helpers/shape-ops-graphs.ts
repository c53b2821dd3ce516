// Single-op graphs for the shape, activation and (de)quantization kernels: SOFTMAX, LOGISTIC,
// RELU, RELU6, QUANTIZE, DEQUANTIZE, RESHAPE, SQUEEZE, PAD, TRANSPOSE and CONCATENATION.
import type { Graph, QuantParams } from '../../src/model/graph.ts';
import { GraphBuilder, quant } from './graphs.ts';
import { randInt } from './rng.ts';

export type Int8Type = 'int8' | 'uint8';

/** A random activation quantization: scale in [0.01, 0.1), zero point inside the dtype's range. */
export function randomQuant(rng: () => number, dtype: Int8Type): QuantParams {
  const zp = dtype === 'int8' ? randInt(rng, -40, 40) : randInt(rng, 88, 168);
  return quant(0.01 + rng() * 0.09, zp);
}

/** TFLite's fixed SOFTMAX/LOGISTIC output params. */
export function fixedOutputQuant(dtype: Int8Type): QuantParams {
  return quant(1 / 256, dtype === 'int8' ? -128 : 0);
}

export function softmaxGraph(dtype: Int8Type, shape: number[], inQuant: QuantParams, beta: number): Graph {
  const b = new GraphBuilder();
  const input = b.tensor('input', shape, dtype, inQuant);
  const output = b.tensor('output', shape, dtype, fixedOutputQuant(dtype));
  b.op({ type: 'SOFTMAX', inputs: [input], outputs: [output], options: { beta } });
  return b.build([input], [output], `softmax ${dtype} [${shape}] scale ${inQuant.scale[0]!.toPrecision(3)} beta ${beta}`);
}

export function logisticGraph(dtype: Int8Type, shape: number[], inQuant: QuantParams): Graph {
  const b = new GraphBuilder();
  const input = b.tensor('input', shape, dtype, inQuant);
  const output = b.tensor('output', shape, dtype, fixedOutputQuant(dtype));
  b.op({ type: 'LOGISTIC', inputs: [input], outputs: [output], options: {} });
  return b.build([input], [output], `logistic ${dtype} [${shape}] scale ${inQuant.scale[0]!.toPrecision(3)} zp ${inQuant.zeroPoint[0]}`);
}

export function reluGraph(type: 'RELU' | 'RELU6', dtype: Int8Type, shape: number[], inQuant: QuantParams, outQuant: QuantParams): Graph {
  const b = new GraphBuilder();
  const input = b.tensor('input', shape, dtype, inQuant);
  const output = b.tensor('output', shape, dtype, outQuant);
  b.op({ type, inputs: [input], outputs: [output], options: {} });
  return b.build([input], [output], `${type} ${dtype} [${shape}]`);
}

export function quantizeGraph(from: Int8Type | 'float32', to: Int8Type, shape: number[], inQuant: QuantParams | undefined, outQuant: QuantParams): Graph {
  const b = new GraphBuilder();
  const input = b.tensor('input', shape, from, inQuant);
  const output = b.tensor('output', shape, to, outQuant);
  b.op({ type: 'QUANTIZE', inputs: [input], outputs: [output], options: {} });
  return b.build([input], [output], `quantize ${from}->${to} [${shape}]`);
}

export function dequantizeGraph(from: Int8Type, shape: number[], inQuant: QuantParams): Graph {
  const b = new GraphBuilder();
  const input = b.tensor('input', shape, from, inQuant);
  const output = b.tensor('output', shape, 'float32');
  b.op({ type: 'DEQUANTIZE', inputs: [input], outputs: [output], options: {} });
  return b.build([input], [output], `dequantize ${from} [${shape}]`);
}

export function reshapeGraph(type: 'RESHAPE' | 'SQUEEZE', dtype: Int8Type, inShape: number[], outShape: number[], q: QuantParams): Graph {
  const b = new GraphBuilder();
  const input = b.tensor('input', inShape, dtype, q);
  const inputs = [input];
  if (type === 'RESHAPE') inputs.push(b.tensor('shape', [outShape.length], 'int32', undefined, Int32Array.from(outShape)));
  const output = b.tensor('output', outShape, dtype, q);
  if (type === 'RESHAPE') b.op({ type, inputs, outputs: [output], options: {} });
  else b.op({ type, inputs, outputs: [output], options: { squeezeDims: [] } });
  return b.build([input], [output], `${type} ${dtype} [${inShape}]->[${outShape}]`);
}

/** PAD with paddings [rank][before, after], stored as int32 or int64 like TFLite converters emit. */
export function padGraph(dtype: Int8Type, shape: number[], paddings: Array<[number, number]>, q: QuantParams, paddingsType: 'int32' | 'int64'): Graph {
  const b = new GraphBuilder();
  const input = b.tensor('input', shape, dtype, q);
  const flat = paddings.flat();
  const data = paddingsType === 'int32' ? Int32Array.from(flat) : BigInt64Array.from(flat.map(BigInt));
  const pads = b.tensor('paddings', [shape.length, 2], paddingsType, undefined, data);
  const outShape = shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
  const output = b.tensor('output', outShape, dtype, q);
  b.op({ type: 'PAD', inputs: [input, pads], outputs: [output], options: {} });
  return b.build([input], [output], `pad ${dtype} [${shape}] by ${JSON.stringify(paddings)} (${paddingsType})`);
}

export function transposeGraph(dtype: Int8Type, shape: number[], perm: number[], q: QuantParams): Graph {
  const b = new GraphBuilder();
  const input = b.tensor('input', shape, dtype, q);
  const permTensor = b.tensor('perm', [perm.length], 'int32', undefined, Int32Array.from(perm));
  const rank = shape.length;
  const output = b.tensor('output', perm.map((p) => shape[p < 0 ? p + rank : p]!), dtype, q);
  b.op({ type: 'TRANSPOSE', inputs: [input, permTensor], outputs: [output], options: {} });
  return b.build([input], [output], `transpose ${dtype} [${shape}] perm [${perm}]`);
}

/** CONCATENATION of inputs whose shapes differ on `axis` only; each input has its own quantization. */
export function concatGraph(dtype: Int8Type, shapes: number[][], axis: number, inQuants: QuantParams[], outQuant: QuantParams): Graph {
  const b = new GraphBuilder();
  const inputs = shapes.map((s, i) => b.tensor(`input${i}`, s, dtype, inQuants[i]));
  const rank = shapes[0]!.length;
  const a = axis < 0 ? axis + rank : axis;
  const outShape = shapes[0]!.map((d, i) => (i === a ? shapes.reduce((sum, s) => sum + s[i]!, 0) : d));
  const output = b.tensor('output', outShape, dtype, outQuant);
  b.op({ type: 'CONCATENATION', inputs, outputs: [output], options: { axis, activation: 'NONE' } });
  return b.build(inputs, [output], `concat ${dtype} ${shapes.map((s) => `[${s}]`).join('+')} axis ${axis}`);
}
