// RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, ARG_MAX, ARG_MIN and CAST on the CPU.
//
// RESIZE_BILINEAR has two semantics, chosen like the other ops' requantization:
//  - 'xnnpack' (what the TFLite runtime outputs: its XNNPACK delegate takes the op whenever
//    align_corners and half_pixel_centers are not both set): XNNPACK's resize-bilinear. Source
//    coordinates in float32 (xnn_indirection_init_resize_bilinear2d_hwc_*); 8-bit values
//    interpolated with 11-bit fixed-point weights ("q11": lrintf(alpha × 2^11)), horizontally
//    then vertically, one rounding shift by 22 (xnn_s8/u8_ibilinear_ukernel); float32 as
//    t = tl + (tr − tl)·αx, b = bl + (br − bl)·αx, out = t + (b − t)·αy.
//  - 'tflite': TFLite's reference_ops (ResizeBilinearInteger's 10-bit fixed point for int8;
//    ResizeBilinear's float weights with +0.5 truncation for uint8; plain float for float32).
// The q11 interpolation is linear in the values, so the GPU's int8 domain (uint8 − 128) gives
// the same bytes shifted by 128: one formula serves int8 and uint8.
//
// RESIZE_NEAREST_NEIGHBOR: TFLite's own kernel (the delegate does not take it): source index
// GetNearestNeighbor(x) = min(align ? round((x + o)·scale) : floor((x + o)·scale), size − 1),
// o = 0.5 with half_pixel_centers (then also max(·, 0)), scale in float32. Values are copied.
//
// ARG_MAX/ARG_MIN: the first index of the largest (smallest) value along the axis (a strict
// comparison, so ties keep the smaller index, as TFLite's ArgMinMax). 8-bit values are compared
// as stored (a positive scale keeps the order). int64 indices are held as int32 here, as every
// int64 value of the reference (they are below 2^31: the axis is an addressable dimension).
//
// CAST: static_cast between the element types, quantization ignored (TFLite's cast.cc copies
// raw values): integer narrowing wraps (two's complement), float → integer truncates toward 0
// and saturates as the runtime does (see castValue), anything → bool is x ≠ 0, bool → 0/1.
import type { DType, OpOf, TensorIR } from '../../model/graph.ts';
import { nearestIndices, q11, tfliteIntegerTaps, tfliteTaps, xnnpackTaps } from '../../quant/resize-taps.ts';
import { allocate, elementCount, isQuantized8, type Kernel, type PrepareContext, type TensorData } from '../common.ts';

const f32 = Math.fround;

interface ResizeGeometry {
  batches: number;
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
}

function resizeGeometry(ctx: PrepareContext, input: TensorIR, output: TensorIR): ResizeGeometry {
  if (input.shape.length !== 4) throw ctx.error(`takes a [batch, height, width, channels] input, got [${input.shape.join(', ')}]`);
  if (input.dtype !== output.dtype) throw ctx.unsupported(`${input.dtype} input and ${output.dtype} output`);
  const [outH, outW] = ctx.constantInts(ctx.input(1), 'size') as [number, number];
  const [batches, inH, inW, channels] = input.shape as [number, number, number, number];
  const expected = [batches, outH, outW, channels];
  if (output.shape.length !== 4 || output.shape.some((d, i) => d !== expected[i])) {
    throw ctx.error(`output [${output.shape.join(', ')}] is not the expected [${expected.join(', ')}]`);
  }
  if (!(outH >= 1 && outW >= 1)) throw ctx.error(`size [${outH}, ${outW}] must be positive`);
  if (inH < 1 || inW < 1) throw ctx.error(`input [${input.shape.join(', ')}] is empty`);
  return { batches, inH, inW, channels, outH, outW };
}

/** Whether XNNPACK computes this RESIZE_BILINEAR in the TFLite runtime (it refuses both flags at once, as TFLite's kernel does). */
export function xnnpackTakesResizeBilinear(options: { alignCorners: boolean; halfPixelCenters: boolean }): boolean {
  return !(options.alignCorners && options.halfPixelCenters);
}

export function prepareResizeBilinear(op: OpOf<'RESIZE_BILINEAR'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  const g = resizeGeometry(ctx, input, output);
  const { alignCorners, halfPixelCenters } = op.options;
  // TFLite's Prepare: "If half_pixel_centers is True, align_corners must be False."
  if (alignCorners && halfPixelCenters) throw ctx.error('with both align_corners and half_pixel_centers is refused by TFLite');
  const dtype = input.dtype;
  if (dtype !== 'float32' && !isQuantized8(dtype)) throw ctx.unsupported(`${dtype} input`);
  if (isQuantized8(dtype)) {
    const qi = ctx.perTensorQuant(input, 'input');
    const qo = ctx.perTensorQuant(output, 'output');
    if (qi.scale !== qo.scale || qi.zeroPoint !== qo.zeroPoint) {
      // TFLite's kernels copy interpolated bytes without requantizing: both sides must agree.
      throw ctx.unsupported(`input quantization (${qi.scale}, ${qi.zeroPoint}) different from the output's (${qo.scale}, ${qo.zeroPoint})`);
    }
  }
  const count = elementCount(output);
  const { batches, inH, inW, channels: C, outH, outW } = g;
  const inIndex = (b: number, y: number, x: number): number => ((b * inH + y) * inW + x) * C;

  if (ctx.xnnpack) { // XNNPACK's resize where the delegate takes the graph; TFLite's kernels otherwise
    const ty = xnnpackTaps(inH, outH, alignCorners, halfPixelCenters);
    const tx = xnnpackTaps(inW, outW, alignCorners, halfPixelCenters);
    if (dtype === 'float32') {
      return (values) => {
        const src = values[input.id] as Float32Array;
        const out = new Float32Array(count);
        let o = 0;
        for (let b = 0; b < batches; b++) {
          for (let y = 0; y < outH; y++) {
            const ay = ty.alpha[y]!;
            for (let x = 0; x < outW; x++) {
              const ax = tx.alpha[x]!;
              const tl = inIndex(b, ty.lo[y]!, tx.lo[x]!);
              const tr = inIndex(b, ty.lo[y]!, tx.hi[x]!);
              const bl = inIndex(b, ty.hi[y]!, tx.lo[x]!);
              const br = inIndex(b, ty.hi[y]!, tx.hi[x]!);
              for (let c = 0; c < C; c++) {
                const vt = f32(src[tl + c]! + f32(f32(src[tr + c]! - src[tl + c]!) * ax));
                const vb = f32(src[bl + c]! + f32(f32(src[br + c]! - src[bl + c]!) * ax));
                out[o++] = f32(vt + f32(f32(vb - vt) * ay));
              }
            }
          }
        }
        values[output.id] = out;
      };
    }
    const wy = Int32Array.from(ty.alpha, q11);
    const wx = Int32Array.from(tx.alpha, q11);
    return (values) => {
      const src = values[input.id] as Int8Array | Uint8Array;
      const out = allocate(dtype, count) as Int8Array | Uint8Array;
      let o = 0;
      for (let b = 0; b < batches; b++) {
        for (let y = 0; y < outH; y++) {
          const ay = wy[y]!;
          for (let x = 0; x < outW; x++) {
            const ax = wx[x]!;
            const tl = inIndex(b, ty.lo[y]!, tx.lo[x]!);
            const tr = inIndex(b, ty.lo[y]!, tx.hi[x]!);
            const bl = inIndex(b, ty.hi[y]!, tx.lo[x]!);
            const br = inIndex(b, ty.hi[y]!, tx.hi[x]!);
            for (let c = 0; c < C; c++) {
              const vtl = src[tl + c]!;
              const vbl = src[bl + c]!;
              const vt = vtl * 2048 + (src[tr + c]! - vtl) * ax;
              const vb = vbl * 2048 + (src[br + c]! - vbl) * ax;
              // |vt · 2^11| < 2^30: the int32 arithmetic of the microkernel never wraps.
              out[o++] = (vt * 2048 + (vb - vt) * ay + 0x200000) >> 22;
            }
          }
        }
      }
      values[output.id] = out;
    };
  }

  // 'tflite': reference_ops.
  if (dtype === 'int8') {
    const ty = tfliteIntegerTaps(inH, outH, alignCorners, halfPixelCenters);
    const tx = tfliteIntegerTaps(inW, outW, alignCorners, halfPixelCenters);
    return (values) => {
      const src = values[input.id] as Int8Array;
      const out = new Int8Array(count);
      let o = 0;
      for (let b = 0; b < batches; b++) {
        for (let y = 0; y < outH; y++) {
          const dy = ty.scaled[y]! - 1024 * ty.lo[y]!;
          for (let x = 0; x < outW; x++) {
            const dx = tx.scaled[x]! - 1024 * tx.lo[x]!;
            const ll = inIndex(b, ty.lo[y]!, tx.lo[x]!);
            const lu = inIndex(b, ty.hi[y]!, tx.lo[x]!);
            const rl = inIndex(b, ty.lo[y]!, tx.hi[x]!);
            const ru = inIndex(b, ty.hi[y]!, tx.hi[x]!);
            for (let c = 0; c < C; c++) {
              // Below 2^7 · 2^22 (weights ≤ 2^11 each with half pixel offsets): exact in doubles.
              const sum =
                src[ll + c]! * (1024 - dy) * (1024 - dx) + src[lu + c]! * dy * (1024 - dx) + src[rl + c]! * (1024 - dy) * dx + src[ru + c]! * dy * dx;
              const round = sum > 0 ? 1 << 19 : -(1 << 19);
              out[o++] = Math.trunc((sum + round) / (1 << 20));
            }
          }
        }
      }
      values[output.id] = out;
    };
  }
  const ty = tfliteTaps(inH, outH, alignCorners, halfPixelCenters);
  const tx = tfliteTaps(inW, outW, alignCorners, halfPixelCenters);
  const rounding = dtype === 'uint8' ? 0.5 : 0;
  return (values) => {
    const src = values[input.id] as Float32Array | Uint8Array;
    const out = allocate(dtype, count) as Float32Array | Uint8Array;
    let o = 0;
    for (let b = 0; b < batches; b++) {
      for (let y = 0; y < outH; y++) {
        const fy = f32(ty.alpha[y]! - ty.lo[y]!);
        const gy = f32(1 - fy);
        for (let x = 0; x < outW; x++) {
          const fx = f32(tx.alpha[x]! - tx.lo[x]!);
          const gx = f32(1 - fx);
          const ll = inIndex(b, ty.lo[y]!, tx.lo[x]!);
          const lu = inIndex(b, ty.hi[y]!, tx.lo[x]!);
          const rl = inIndex(b, ty.lo[y]!, tx.hi[x]!);
          const ru = inIndex(b, ty.hi[y]!, tx.hi[x]!);
          for (let c = 0; c < C; c++) {
            let v = f32(f32(src[ll + c]! * gy) * gx);
            v = f32(v + f32(f32(src[lu + c]! * fy) * gx));
            v = f32(v + f32(f32(src[rl + c]! * gy) * fx));
            v = f32(v + f32(f32(src[ru + c]! * fy) * fx));
            v = f32(v + rounding);
            // static_cast<uint8_t> of a value in [0, 255.5]: truncation.
            out[o++] = dtype === 'uint8' ? Math.trunc(v) : v;
          }
        }
      }
    }
    values[output.id] = out;
  };
}

export function prepareResizeNearestNeighbor(op: OpOf<'RESIZE_NEAREST_NEIGHBOR'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  const { batches, inH, inW, channels: C, outH, outW } = resizeGeometry(ctx, input, output);
  if (isQuantized8(input.dtype)) {
    const qi = ctx.perTensorQuant(input, 'input');
    const qo = ctx.perTensorQuant(output, 'output');
    if (qi.scale !== qo.scale || qi.zeroPoint !== qo.zeroPoint) {
      throw ctx.unsupported(`input quantization (${qi.scale}, ${qi.zeroPoint}) different from the output's (${qo.scale}, ${qo.zeroPoint})`);
    }
  } else if (input.dtype !== 'float32' && input.dtype !== 'int32' && input.dtype !== 'int16') {
    throw ctx.unsupported(`${input.dtype} input`);
  }
  const ys = nearestIndices(inH, outH, op.options.alignCorners, op.options.halfPixelCenters);
  const xs = nearestIndices(inW, outW, op.options.alignCorners, op.options.halfPixelCenters);
  const count = elementCount(output);
  return (values) => {
    const src = values[input.id]!;
    const out = allocate(output.dtype, count);
    let o = 0;
    for (let b = 0; b < batches; b++) {
      for (let y = 0; y < outH; y++) {
        for (let x = 0; x < outW; x++) {
          const from = ((b * inH + ys[y]!) * inW + xs[x]!) * C;
          for (let c = 0; c < C; c++) out[o++] = src[from + c]!;
        }
      }
    }
    values[output.id] = out;
  };
}

/** The normalized axis of an ARG_MAX/ARG_MIN (constant input 1). */
export function argAxis(ctx: PrepareContext, input: TensorIR): number {
  const values = ctx.constantInts(ctx.input(1), 'axis');
  if (values.length !== 1) throw ctx.error(`axis must hold one value, got ${values.length}`);
  const rank = input.shape.length;
  const axis = values[0]! < 0 ? values[0]! + rank : values[0]!;
  if (axis < 0 || axis >= rank) throw ctx.error(`axis ${values[0]} is outside rank ${rank}`);
  return axis;
}

export function prepareArgMinMax(op: OpOf<'ARG_MAX' | 'ARG_MIN'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  if (output.dtype !== op.options.outputType) throw ctx.error(`output is ${output.dtype} but output_type is ${op.options.outputType}`);
  if (!isQuantized8(input.dtype) && input.dtype !== 'float32' && input.dtype !== 'int32') throw ctx.unsupported(`${input.dtype} input`);
  const axis = argAxis(ctx, input);
  const size = input.shape[axis]!;
  if (size === 0) throw ctx.error(`axis ${axis} of [${input.shape.join(', ')}] is empty`);
  const outer = input.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = input.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const expected = input.shape.filter((_, d) => d !== axis);
  if (output.shape.length !== expected.length || output.shape.some((d, i) => d !== expected[i])) {
    throw ctx.error(`output [${output.shape.join(', ')}] is not the expected [${expected.join(', ')}]`);
  }
  const isMax = op.type === 'ARG_MAX';
  return (values) => {
    const src = values[input.id]!;
    const out = new Int32Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * size * inner + i;
        let best = src[base]!;
        let index = 0;
        for (let k = 1; k < size; k++) {
          const v = src[base + k * inner]!;
          if (isMax ? v > best : v < best) {
            best = v;
            index = k;
          }
        }
        out[o * inner + i] = index;
      }
    }
    values[output.id] = out;
  };
}

/** The element types CAST converts between. */
export const CAST_DTYPES: ReadonlySet<DType> = new Set<DType>(['int8', 'uint8', 'int16', 'int32', 'int64', 'float32', 'bool']);

/**
 * static_cast<To>(v) for one value. Float → integer outside the target's range is undefined in
 * C++; the TFLite runtime (WASM) converts through 32-bit integers with saturation (LLVM's
 * fptosi/fptoui lowered to trunc_sat), so that is what is done here: truncate toward 0, NaN → 0,
 * saturate to int32 (to [0, 2^32 − 1] for uint8), then wrap to the target's width.
 */
export function castValue(v: number, from: DType, to: DType): number {
  if (to === 'bool') return v !== 0 ? 1 : 0;
  if (to === 'float32') return f32(v);
  let i = v;
  if (from === 'float32') {
    if (Number.isNaN(v)) return 0;
    i = Math.trunc(v);
    i = to === 'uint8' ? Math.min(Math.max(i, 0), 4294967295) : Math.min(Math.max(i, -2147483648), 2147483647);
    if (to === 'uint8') return i % 256;
  }
  switch (to) {
    case 'int8':
      return (i << 24) >> 24;
    case 'uint8':
      return i & 0xff;
    case 'int16':
      return (i << 16) >> 16;
    case 'int32':
    case 'int64':
      return i;
  }
  return i;
}

export function prepareCast(_op: OpOf<'CAST'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  for (const t of [input, output]) if (!CAST_DTYPES.has(t.dtype)) throw ctx.unsupported(`${t.dtype} ${t === input ? 'input' : 'output'}`);
  const count = elementCount(output);
  const from = input.dtype;
  const to = output.dtype;
  return (values) => {
    const src = values[input.id]! as TensorData;
    const out = allocate(to, count);
    for (let i = 0; i < count; i++) {
      const v = src[i]!;
      // The reference holds int64 values as int32: a float beyond that range is refused rather
      // than saturated to a value the int64 tensor would not hold.
      if (from === 'float32' && to === 'int64' && !(Math.abs(v) < 2147483648)) throw ctx.error(`of ${v} to int64 leaves the int32 range the reference holds`);
      out[i] = castValue(v, from, to);
    }
    values[output.id] = out;
  };
}
