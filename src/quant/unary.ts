// Unary activations and math (HARD_SWISH, LEAKY_RELU, TANH, ELU, GELU, RELU_N1_TO_1, RELU_0_TO_1,
// EXP, LOG, SQRT, RSQRT, ABS, NEG, SQUARE): each op's float32 function, and its 8-bit function as
// a 256-entry table. An 8-bit unary op is a function of 256 possible input values, so the CPU
// reference computes its per-element function over all of them once at load, and the GPU applies
// the very same table (shaders/unary.wgsl): exact against the reference by construction. The work
// is in the per-element functions, which follow what the TFLite runtime computes for each op and
// dtype (test/reference/tflite-runtime-unary.test.ts runs it over all 256 inputs):
//  - TANH, ELU, GELU, EXP, RSQRT (8 bits): TFLite's LUTPopulate, a table filled in float
//    in Prepare: dequantize in float32, the float function, × float32(1 / output scale), rounded
//    half away from zero (std::round), + zero point, clamped.
//  - HARD_SWISH: TFLite's reference_ops::HardSwish, 16-bit fixed point.
//  - LEAKY_RELU: reference_ops::QuantizeLeakyRelu, two output multipliers (identity and alpha);
//    under 'xnnpack', XNNPACK's qs8/qu8 leaky ReLU where the delegate takes it.
//  - ELU under 'xnnpack': XNNPACK's table, rounded half to even.
//  - RELU_N1_TO_1, RELU_0_TO_1: activations.cc ReluX, as RELU and RELU6.
//  - ABS: elementwise.cc AbsEvalQuantized (requantized only when the scales differ).
import { OctetError } from '../errors.ts';
import type { OpOf } from '../model/graph.ts';
import { UNARY_OPS, unaryOpDef, type UnaryOpType, type UnaryOptions } from '../ops/unary.ts';
import { roundHalfAway, roundHalfEven } from '../rounding.ts';
import { activationRangeQuantized } from './activation.ts';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from './fixedpoint.ts';

export { UNARY_OP_TYPES, type UnaryOpType, type UnaryOptions } from '../ops/unary.ts';

/** The options an op carries for its unary function (LEAKY_RELU's alpha, GELU's approximation). */
export function unaryOptionsOf(op: OpOf<UnaryOpType>): UnaryOptions {
  if (op.type === 'LEAKY_RELU') return { alpha: op.options.alpha };
  if (op.type === 'GELU') return { approximate: op.options.approximate };
  return {};
}

/** A combination TFLite refuses (or Octet does not run); callers turn it into their named error. */
export class UnaryOpError extends OctetError {
  override name = 'UnaryOpError';
  readonly code = 'UNARY_OP';
}

const f = Math.fround;

/** The float32 function of each op, as TFLite's float kernels compute it (src/ops/unary.ts). */
export function unaryFloatFunction(type: UnaryOpType, options: UnaryOptions = {}): (x: number) => number {
  return unaryOpDef(type).float(options);
}

export interface EightBitQuant {
  dtype: 'int8' | 'uint8';
  inputScale: number;
  inputZeroPoint: number;
  outputScale: number;
  outputZeroPoint: number;
  /** 'xnnpack': where the TFLite runtime's XNNPACK delegate takes the op, its rounding. */
  mode: 'tflite' | 'xnnpack';
}

/**
 * The 8-bit table: entry b (the input's stored byte, b = q & 0xff) is the output's stored byte.
 * @throws UnaryOpError for a dtype or quantization TFLite refuses.
 */
export function unaryTable(type: UnaryOpType, options: UnaryOptions, q: EightBitQuant): Uint8Array {
  if (!unaryOpDef(type).eightBit.includes(q.dtype)) throw new UnaryOpError(`${type} does not take ${q.dtype} (TFLite has no such kernel)`);
  for (const [name, s] of [['input', q.inputScale], ['output', q.outputScale]] as const) {
    if (!(s > 0) || !Number.isFinite(s)) throw new UnaryOpError(`${type} needs a positive finite ${name} scale, got ${s}`);
  }
  const [qmin, qmax] = q.dtype === 'int8' ? [-128, 127] : [0, 255];
  const perElement = elementFunction(type, options, q);
  const table = new Uint8Array(256);
  for (let v = qmin; v <= qmax; v++) {
    const out = perElement(v);
    table[v & 0xff] = (out < qmin ? qmin : out > qmax ? qmax : out) & 0xff;
  }
  return table;
}

/** The ops whose 8-bit table is their own integer kernel (the cases of fixedPointFunction). */
type FixedPointOp = { [T in UnaryOpType]: (typeof UNARY_OPS)[T] extends { table: { method: 'fixed-point' } } ? T : never }[UnaryOpType];

function elementFunction(type: UnaryOpType, options: UnaryOptions, q: EightBitQuant): (v: number) => number {
  const table = unaryOpDef(type).table;
  if (!table) throw new UnaryOpError(`${type} has no 8-bit kernel in TFLite`);
  if (table.method === 'lut') {
    const halfEven = table.xnnpackHalfEven === true && q.mode === 'xnnpack';
    return lutPopulate(f(q.inputScale), q.inputZeroPoint, f(q.outputScale), q.outputZeroPoint, unaryFloatFunction(type, options), halfEven);
  }
  return fixedPointFunction(type as FixedPointOp, options, q);
}

function fixedPointFunction(type: FixedPointOp, options: UnaryOptions, q: EightBitQuant): (v: number) => number {
  const si = f(q.inputScale);
  const so = f(q.outputScale);
  const zi = q.inputZeroPoint;
  const zo = q.outputZeroPoint;
  switch (type) {
    case 'HARD_SWISH':
      return hardSwish(si, zi, so, zo);
    case 'LEAKY_RELU': {
      const alpha = f(options.alpha ?? 0);
      if (q.mode === 'xnnpack') {
        const xnn = xnnpackLeakyRelu(si, so, alpha, zi, zo);
        if (xnn) return xnn;
      }
      const identity = quantizeMultiplier(f(si / so));
      const slope = quantizeMultiplier(f(f(si * alpha) / so));
      return (v) => {
        const x = v - zi;
        const m = x >= 0 ? identity : slope;
        return zo + multiplyByQuantizedMultiplier(x, m.multiplier, m.shift);
      };
    }
    case 'RELU_N1_TO_1':
    case 'RELU_0_TO_1': {
      const m = quantizeMultiplier(f(si / so));
      const [lo, hi] = reluRange(type, so, zo, q.dtype);
      return (v) => {
        const out = zo + multiplyByQuantizedMultiplier(v - zi, m.multiplier, m.shift);
        return out < lo ? lo : out > hi ? hi : out;
      };
    }
    case 'ABS': {
      const rescale = si !== so;
      const m = quantizeMultiplier(f(si / so));
      return (v) => {
        const x = Math.abs(v - zi);
        return (rescale ? multiplyByQuantizedMultiplier(x, m.multiplier, m.shift) : x) + zo;
      };
    }
  }
}

/**
 * XNNPACK's qs8/qu8 leaky ReLU, where the delegate takes it (both scale ratios within XNNPACK's
 * bounds, else TFLite's kernel runs): multipliers lrintf(256 · ratio), then
 * ((x − zp) · multiplier + zp_out · 256 + 128) >> 8, i.e. rounded half up.
 */
function xnnpackLeakyRelu(si: number, so: number, alpha: number, zi: number, zo: number): ((v: number) => number) | undefined {
  const positive = f(si / so);
  if (positive < 2 ** -8 || positive > 2 ** 7) return undefined;
  const negative = f(positive * alpha);
  if (negative < -f(0x1fffc00 / 2 ** 18) || negative > 2 ** 7 || Math.abs(negative) < 2 ** -8) return undefined;
  // XNNPACK stores lrintf(−256 · scale) and multiplies zp − x by it: the same product.
  const positiveMultiplier = -roundHalfEven(f(-256 * positive));
  const negativeMultiplier = -roundHalfEven(f(-256 * negative));
  const bias = zo * 256 + 0x80;
  return (v) => {
    const x = v - zi;
    return (bias + x * (x > 0 ? positiveMultiplier : negativeMultiplier)) >> 8;
  };
}

function reluRange(type: 'RELU_N1_TO_1' | 'RELU_0_TO_1', scale: number, zeroPoint: number, dtype: 'int8' | 'uint8'): [number, number] {
  if (type === 'RELU_N1_TO_1') return activationRangeQuantized('RELU_N1_TO_1', scale, zeroPoint, dtype);
  // RELU_0_TO_1: ReluX with act_min 0, act_max 1, quantized as the other bounds are.
  const [lo] = activationRangeQuantized('RELU', scale, zeroPoint, dtype);
  const [, hiN1] = activationRangeQuantized('RELU_N1_TO_1', scale, zeroPoint, dtype);
  return [lo, hiN1];
}

/**
 * TFLite LUTPopulate: float32 dequantize, transform, × float32(1 / scale), std::round, + zp.
 * `halfEven`: XNNPACK's lut-elementwise tables, the same but rounded by lrintf.
 */
function lutPopulate(si: number, zi: number, so: number, zo: number, fn: (x: number) => number, halfEven: boolean): (v: number) => number {
  const inverse = f(1 / so);
  return (v) => {
    const y = fn(f(si * (v - zi)));
    const p = f(y * inverse);
    const rescaled = halfEven ? roundHalfEven(p) : roundHalfAway(p);
    if (Number.isNaN(rescaled)) return zo;
    return rescaled + zo;
  };
}

// ---- HARD_SWISH: reference_ops::HardSwish (16-bit fixed point) ---------------------------------

const INT16_MIN = -32768;
const INT16_MAX = 32767;

function saturate16(x: number): number {
  return x < INT16_MIN ? INT16_MIN : x > INT16_MAX ? INT16_MAX : x;
}

/** gemmlowp SaturatingRoundingDoublingHighMul for int16. */
function srdhm16(a: number, b: number): number {
  if (a === INT16_MIN && b === INT16_MIN) return INT16_MAX;
  const ab = a * b;
  const nudge = ab >= 0 ? 1 << 14 : 1 - (1 << 14);
  return Math.trunc((ab + nudge) / 32768);
}

/** TFLite's SaturatingDoublingHighMul (no rounding: C++ division truncates toward zero). */
function sdhm16(a: number, b: number): number {
  if (a === INT16_MIN && b === INT16_MIN) return INT16_MAX;
  return Math.trunc((a * b) / 32768);
}

function roundingDivideByPOT16(x: number, exponent: number): number {
  const mask = (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** activations.cc DownScaleInt32ToInt16Multiplier. */
function downScaleToInt16(m: number): number {
  if (m >= 2147483647 - (1 << 15)) return INT16_MAX;
  return (m + (1 << 15)) >> 16;
}

function hardSwish(si: number, zi: number, so: number, zo: number): (v: number) => number {
  const hiresInputScale = f(f(1 / 128) * si);
  const reluishScale = f(3 / 32768);
  const output = quantizeMultiplier(f(hiresInputScale / so));
  if (output.shift > 0) throw new UnaryOpError(`HARD_SWISH output multiplier exponent ${output.shift} must be ≤ 0 (TFLite refuses input scale ${si} with output scale ${so})`);
  const outputMultiplier = downScaleToInt16(output.multiplier);
  const reluish = quantizeMultiplier(f(hiresInputScale / reluishScale));
  const reluishMultiplier = downScaleToInt16(reluish.multiplier);
  const reluishExponent = reluish.shift;
  return (v) => {
    const inputValue = v - zi;
    const hires = saturate16(inputValue * 128);
    const preshiftOutput = srdhm16(hires, outputMultiplier);
    let r = hires;
    if (reluishExponent > 0) r = saturate16(r * 2 ** (reluishExponent - 1));
    r = srdhm16(r, reluishMultiplier);
    if (reluishExponent > 0) r = saturate16(r * 2);
    if (reluishExponent < 0) r = roundingDivideByPOT16(r, -reluishExponent);
    r = (r + (1 << 15)) >> 1;
    const preshift = sdhm16(r, preshiftOutput);
    return roundingDivideByPOT16(preshift, -output.shift) + zo;
  };
}

/** PRELU broadcasts alpha to the input's shape (the output's); TFLite's kernel takes rank ≤ 4. */
export const PRELU_MAX_RANK = 4;

/** PRELU's two multipliers (PreluPrepare: float scales, float arithmetic, then QuantizeMultiplier). */
export function preluMultipliers(inputScale: number, alphaScale: number, outputScale: number) {
  return {
    identity: quantizeMultiplier(f(f(inputScale) / f(outputScale))),
    alpha: quantizeMultiplier(f(f(f(inputScale) * f(alphaScale)) / f(outputScale))),
  };
}

/** The quantization of an 8-bit PRELU's three tensors (zero points as stored, in the model's dtype). */
export interface PreluQuant {
  dtype: 'int8' | 'uint8';
  inputScale: number;
  inputZeroPoint: number;
  alphaScale: number;
  alphaZeroPoint: number;
  outputScale: number;
  outputZeroPoint: number;
}

/**
 * 8-bit PRELU per element (reference_ops::BroadcastPrelu4DSlow, both dtypes): the output's stored
 * value for stored input x and stored alpha a. x − zp ≥ 0 → MultiplyByQuantizedMultiplier(x − zp,
 * identity); else MultiplyByQuantizedMultiplier((x − zp)·(a − zp_alpha), alpha multiplier); + zp_out,
 * clamped. The CPU reference runs it on every element; preluChannelTables tabulates it.
 */
export function preluFunction(q: PreluQuant): (x: number, a: number) => number {
  const m = preluMultipliers(q.inputScale, q.alphaScale, q.outputScale);
  const [lo, hi] = q.dtype === 'int8' ? [-128, 127] : [0, 255];
  return (x, a) => {
    const v = x - q.inputZeroPoint;
    const r =
      v >= 0
        ? multiplyByQuantizedMultiplier(v, m.identity.multiplier, m.identity.shift)
        : multiplyByQuantizedMultiplier(v * (a - q.alphaZeroPoint), m.alpha.multiplier, m.alpha.shift);
    const out = r + q.outputZeroPoint;
    return out < lo ? lo : out > hi ? hi : out;
  };
}

/**
 * PRELU with constant alpha as one 256-entry table per alpha element: entry k·256 + b (b = the
 * input's stored byte, q & 0xff) is the output's stored byte for input byte b and alpha element
 * k, computed by preluFunction. Where alpha varies along the channels only, output element
 * (…, c) is table c applied to its input: exact against the reference by construction.
 */
export function preluChannelTables(q: PreluQuant, alpha: ArrayLike<number>): Uint8Array {
  const perElement = preluFunction(q);
  const [lo, hi] = q.dtype === 'int8' ? [-128, 127] : [0, 255];
  const tables = new Uint8Array(alpha.length * 256);
  for (let k = 0; k < alpha.length; k++) {
    for (let x = lo; x <= hi; x++) tables[k * 256 + (x & 0xff)] = perElement(x, alpha[k]!) & 0xff;
  }
  return tables;
}
