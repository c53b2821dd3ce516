// Shared pieces of the float32 GPU lowerings: shader assembly, uniforms with f32 fields, float
// views of constants (float32 as stored, 8-bit or int32 quantized ones dequantized once at load),
// and operand bindings that upload constant operands as constant buffers (the planner gives
// buffers to activations only).
import commonSource from '../../../shaders/float-common.wgsl?raw';
import indexingSource from '../../../shaders/indexing.wgsl?raw';
import type { Activation, TensorIR } from '../../model/graph.ts';
import { tensorElementCount } from '../../model/graph.ts';
import { activationRangeFloat } from '../../quant/activation.ts';
import { constantData, dequantizeTensor } from '../../quant/tensor.ts';
import { renderShader, type ShaderParams } from '../shader.ts';
import { LoweringError, type BindingRef, type ConstantSpec, type LoweringContext } from '../lowering.ts';

export function floatShader(ctx: LoweringContext, opSource: string, params: ShaderParams = {}): { code: string; key: string } {
  const all: ShaderParams = { WORKGROUP_SIZE: ctx.workgroupSize, ...params };
  const code = [indexingSource, commonSource, opSource].map((source) => renderShader(source, all)).join('\n');
  // The code itself is the cache key: equal text is an equal pipeline.
  return { code, key: code };
}

export type UniformField = ['u32' | 'i32' | 'f32', number];

/** Little-endian uniform words from scalar fields, padded to 16 bytes as uniform bindings like. */
export function floatUniforms(fields: UniformField[]): Uint32Array {
  const words = new Uint32Array(Math.max(4, Math.ceil(fields.length / 4) * 4));
  const view = new DataView(words.buffer);
  fields.forEach(([kind, value], i) => {
    if (kind === 'u32') view.setUint32(i * 4, value >>> 0, true);
    else if (kind === 'i32') view.setInt32(i * 4, value | 0, true);
    else view.setFloat32(i * 4, value, true);
  });
  return words;
}

/** Most dimensions the index-mapping kernels (broadcast, transpose, pad, mean) take. */
export const MAX_RANK = 8;

/** A shape or stride list as the 8 u32 fields of `array<vec4<u32>, 2>`, front-padded with `fill`. */
export function rankFields(values: readonly number[], fill: number, what: string): UniformField[] {
  if (values.length > MAX_RANK) throw new LoweringError(`${what} has rank ${values.length}; the float path takes at most ${MAX_RANK}`);
  const padded = [...new Array<number>(MAX_RANK - values.length).fill(fill), ...values];
  return padded.map((v): UniformField => ['u32', v]);
}

export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

/** [min, max] of a fused activation in float; TANH and SIGN_BIT are not clamps and are refused. */
export function floatActivationRange(act: Activation, where: string): [number, number] {
  if (act === 'TANH' || act === 'SIGN_BIT') throw new LoweringError(`${where}: fused activation ${act} is not supported on the float path`);
  return activationRangeFloat(act);
}

/**
 * A constant's values as float32: float32 data as stored; 8-bit or int32 data with quantization
 * parameters dequantized (real = scale × (q − zp), per channel along the axis). Hybrid models
 * (float activations, int8 weights) take this path at load.
 */
export function floatConstant(t: TensorIR, role: string): Float32Array {
  if (!t.data) throw new LoweringError(`${role} '${t.name}' (tensor ${t.id}) must be a constant`);
  if (t.dtype === 'float32') return constantData(t) as Float32Array;
  if ((t.dtype === 'int8' || t.dtype === 'uint8' || t.dtype === 'int32') && t.quant && t.quant.scale.length > 0) {
    return dequantizeTensor(constantData(t) as Int8Array | Uint8Array | Int32Array, t.shape, t.quant);
  }
  throw new LoweringError(`${role} '${t.name}' is ${t.dtype}${t.quant ? '' : ' without quantization parameters'}; the float path needs float32 or dequantizable data`);
}

/** Checks that an activation flowing through the float path is float32. */
export function expectFloat(t: TensorIR, role: string, where: string): void {
  if (t.dtype !== 'float32') throw new LoweringError(`${where}: ${role} '${t.name}' is ${t.dtype}, expected float32`);
}

/**
 * The binding of an op's float operand: the activation's buffer, or, for a constant operand
 * (ADD of a constant, a constant concatenated), a new constant buffer holding its float values.
 */
export function floatOperand(t: TensorIR, role: string, constants: ConstantSpec[], label: string): BindingRef {
  if (!t.data) {
    if (t.dtype !== 'float32') throw new LoweringError(`${label}: ${role} '${t.name}' is ${t.dtype}, expected float32`);
    return { tensor: t.id };
  }
  const values = floatConstant(t, role);
  // A binding must be at least 4 bytes, which a 0-element constant is not.
  const data = values.length > 0 ? values : new Float32Array(1);
  constants.push({ label: `${label} ${role}`, data, usage: 'storage' });
  return { constant: constants.length - 1 };
}

export function elementCount(t: TensorIR): number {
  return tensorElementCount(t.shape);
}

/** An integer operand (axes, paddings, permutation) from a constant int32 or int64 tensor. */
export function constantInts(t: TensorIR, role: string, label: string): number[] {
  if (!t.data || (t.dtype !== 'int32' && t.dtype !== 'int64')) throw new LoweringError(`${label}: ${role} must be a constant int32 or int64 tensor`);
  return Array.from(constantData(t) as Int32Array | BigInt64Array, (v: number | bigint) => Number(v));
}
