// One definition per unary elementwise op: everything about the op that is not plumbing, in one
// entry. The stages read it generically, so a new op of this family is an entry here plus its
// line in OP_OPTIONS (src/model/graph.ts), and nothing else:
//  - the importer and writer: the op's TFLite builtin code comes from its name
//    (src/model/tflite-builtins.ts); ops without options need no code there;
//  - the CPU reference (src/reference/ops/unary.ts): `float`, `int32`, and the 8-bit table built
//    from `eightBit` (src/quant/unary.ts);
//  - the GPU: float32 and int32 through shaders/float-unary-math.wgsl with `wgsl` spliced in
//    (src/kernels/float/unary.ts); 8 bits through the very table the reference uses
//    (src/kernels/unary.ts); an op without an 8-bit kernel is refused by name at load;
//  - shape inference, batching (elementwise: batch-safe), and the quantizer (`int8Version`).
//
// `float` is what TFLite's float kernel computes, each step rounded to float32 where the C++
// works in float; `wgsl` is the same function in WGSL (its builtins are a few ulp from the C
// library's, within the float path's tolerance; exactness is the 8-bit path's job).
import type { OpType } from '../model/graph.ts';
import { roundHalfEven } from '../rounding.ts';

/** The options an op carries for its function (LEAKY_RELU's alpha, GELU's approximation). */
export interface UnaryOptions {
  /** LEAKY_RELU's slope for negative inputs. */
  alpha?: number;
  /** GELU's tanh approximation. */
  approximate?: boolean;
}

/**
 * How the 8-bit table is filled:
 *  - 'lut': TFLite's LUTPopulate (dequantize in float32, `float`, × float32(1 / output scale),
 *    std::round, + zero point, clamped); with `xnnpackHalfEven`, XNNPACK's table where its
 *    delegate takes the op (the same, rounded by lrintf);
 *  - 'fixed-point': the op's own integer kernel, written out in src/quant/unary.ts.
 */
export type EightBitTable = { readonly method: 'lut'; readonly xnnpackHalfEven?: boolean } | { readonly method: 'fixed-point' };

export interface UnaryOpDef {
  /** The float32 function for these options. */
  readonly float: (options: UnaryOptions) => (x: number) => number;
  /**
   * The same function in WGSL, an expression of `x: f32` (shaders/float-unary-math.wgsl's helpers
   * and `params.alpha` in scope). Part of the shader's text, so of its pipeline cache key.
   */
  readonly wgsl: (options: UnaryOptions) => string;
  /** Where TFLite's kernel takes int32: the function (two's complement, as C++) and its WGSL over `x: i32`. */
  readonly int32?: { readonly fn: (x: number) => number; readonly wgsl: string };
  /**
   * The 8-bit dtypes TFLite's kernel takes (the TFLite runtime refuses the others at prepare or
   * invoke), and how the table is filled. Empty: no 8-bit kernel.
   */
  readonly eightBit: readonly ('int8' | 'uint8')[];
  readonly table?: EightBitTable;
  /** The operator version the TFLite converter writes for the int8 kernel (tools/versioning/op_version.cc). */
  readonly int8Version: number;
}

const f = Math.fround;
const SQRT1_2 = Math.SQRT1_2;
/** gelu.h kSqrt2dPi = M_2_SQRTPI * M_SQRT1_2, a float constant. */
const SQRT_2_OVER_PI = f((2 / Math.sqrt(Math.PI)) * Math.SQRT1_2);

/** An op whose function takes no options. */
const plain = (fn: (x: number) => number, wgsl: string) => ({ float: () => fn, wgsl: () => wgsl });

export const UNARY_OPS = {
  HARD_SWISH: {
    // reference_ops::HardSwish: x * min(6, max(0, x + 3)) / 6; 8 bits in 16-bit fixed point.
    ...plain((x) => f(f(x * Math.min(6, Math.max(0, f(x + 3)))) / 6), 'x * min(6.0, max(0.0, x + 3.0)) / 6.0'),
    eightBit: ['int8', 'uint8'],
    table: { method: 'fixed-point' },
    int8Version: 1,
  },
  LEAKY_RELU: {
    // reference_ops::QuantizeLeakyRelu (two output multipliers); XNNPACK's where its delegate runs.
    float: (o) => {
      const alpha = f(o.alpha ?? 0);
      return (x) => (x > 0 ? x : f(x * alpha));
    },
    wgsl: () => 'select(x * params.alpha, x, x > 0.0)',
    eightBit: ['int8', 'uint8'],
    table: { method: 'fixed-point' },
    int8Version: 2,
  },
  TANH: {
    ...plain((x) => f(Math.tanh(x)), 'safe_tanh(x)'),
    eightBit: ['int8', 'uint8'],
    table: { method: 'lut' },
    int8Version: 2,
  },
  ELU: {
    ...plain((x) => (x < 0 ? f(Math.expm1(x)) : x), 'select(x, exp(x) - 1.0, x < 0.0)'),
    // XNNPACK's qs8 ELU (which the delegate takes) fills its table with lrintf: half to even.
    eightBit: ['int8'],
    table: { method: 'lut', xnnpackHalfEven: true },
    int8Version: 1,
  },
  GELU: {
    float: (o) =>
      o.approximate
        ? (x) => f(f(0.5 * x) * f(1 + f(Math.tanh(f(SQRT_2_OVER_PI * f(x + f(f(f(f(0.044715 * x) * x) * x))))))))
        : (x) => f(f(0.5 * x) * f(erfc(f(x * f(-SQRT1_2))))),
    wgsl: (o) =>
      o.approximate ? '0.5 * x * (1.0 + safe_tanh(0.7978845608 * (x + 0.044715 * x * x * x)))' : '0.5 * x * erfc_approx(x * -0.70710678)',
    eightBit: ['int8', 'uint8'],
    table: { method: 'lut' },
    int8Version: 2,
  },
  RELU_N1_TO_1: {
    // activations.cc ReluX, as RELU and RELU6. NaN gives −1, as the TFLite runtime does (measured).
    ...plain((x) => (x > 1 ? 1 : x >= -1 ? x : -1), 'clamp(x, -1.0, 1.0)'),
    eightBit: ['int8', 'uint8'],
    table: { method: 'fixed-point' },
    int8Version: 2,
  },
  RELU_0_TO_1: {
    ...plain((x) => Math.min(1, Math.max(0, x)), 'clamp(x, 0.0, 1.0)'),
    eightBit: ['int8', 'uint8'],
    table: { method: 'fixed-point' },
    int8Version: 1,
  },
  EXP: {
    // int8 EXP: newer TFLite runs it through LUTPopulate like TANH (the WASM runtime predates it).
    ...plain((x) => f(Math.exp(x)), 'exp(x)'),
    eightBit: ['int8'],
    table: { method: 'lut' },
    int8Version: 2,
  },
  LOG: {
    ...plain((x) => f(Math.log(x)), 'log(x)'),
    eightBit: [],
    int8Version: 2,
  },
  SQRT: {
    ...plain((x) => f(Math.sqrt(x)), 'sqrt(x)'),
    eightBit: [],
    int8Version: 2,
  },
  RSQRT: {
    // 8 bits: RSQRT of 0 is +inf and clamps to the top (TFLite: "any value close to 0 represents
    // the max output value"); TFLite fails at run time on a negative input, here it gives the zero point.
    ...plain((x) => f(1 / f(Math.sqrt(x))), 'inverseSqrt(x)'),
    eightBit: ['int8'],
    table: { method: 'lut' },
    int8Version: 2,
  },
  ABS: {
    // 8 bits: elementwise.cc AbsEvalQuantized (requantized only when the scales differ).
    ...plain((x) => Math.abs(x), 'abs(x)'),
    // INT32_MIN stays INT32_MIN, as in C++ two's complement.
    int32: { fn: (x) => (x < 0 ? -x | 0 : x), wgsl: 'select(x, -x, x < 0)' },
    eightBit: ['int8'],
    table: { method: 'fixed-point' },
    int8Version: 2,
  },
  NEG: {
    ...plain((x) => -x, '-x'),
    int32: { fn: (x) => -x | 0, wgsl: '-x' },
    eightBit: [],
    int8Version: 2,
  },
  SQUARE: {
    ...plain((x) => f(x * x), 'x * x'),
    eightBit: [],
    int8Version: 1,
  },
  FLOOR: {
    // floor.cc: float32 only (std::floor, exact in float32 and in WGSL).
    ...plain(Math.floor, 'floor(x)'),
    eightBit: [],
    int8Version: 1,
  },
  CEIL: {
    // ceil.cc: float32 only.
    ...plain(Math.ceil, 'ceil(x)'),
    eightBit: [],
    int8Version: 1,
  },
  ROUND: {
    // round.cc: float32 only, reference_ops::RoundToNearest, half to even (as WGSL's round).
    ...plain(roundHalfEven, 'round(x)'),
    eightBit: [],
    int8Version: 1,
  },
  SIN: {
    // elementwise.cc: float32 only (std::sin).
    ...plain((x) => f(Math.sin(x)), 'precise_sin(x)'),
    eightBit: [],
    int8Version: 1,
  },
  COS: {
    ...plain((x) => f(Math.cos(x)), 'precise_cos(x)'),
    eightBit: [],
    int8Version: 1,
  },
  SIGN: {
    // sign.cc, (0 < x) − (x < 0): +0 for ±0 and for NaN. float32 only here: the TFLite runtime
    // Octet is checked against gives all zeros for int32 SIGN (measured), so that form has no
    // oracle yet and is refused by name rather than guessed.
    ...plain((x) => (x > 0 ? 1 : x < 0 ? -1 : 0), 'select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0)'),
    eightBit: [],
    int8Version: 1,
  },
} satisfies { readonly [T in OpType]?: UnaryOpDef };

/** The op types defined here. */
export type UnaryOpType = keyof typeof UNARY_OPS;

export const UNARY_OP_TYPES = Object.keys(UNARY_OPS) as UnaryOpType[];

/** The definition of a unary op (typed as the interface, whatever literal types the entry has). */
export function unaryOpDef(type: UnaryOpType): UnaryOpDef {
  return UNARY_OPS[type];
}

/** Whether `op` is one of the ops defined here (narrowing a discriminated union of ops). */
export function isUnaryOp<O extends { readonly type: string }>(op: O): op is Extract<O, { readonly type: UnaryOpType }> {
  return Object.hasOwn(UNARY_OPS, op.type);
}

/** Each op's int8 operator version, for the quantizer's table over every op type. */
export function unaryInt8Versions(): Record<UnaryOpType, number> {
  return Object.fromEntries(UNARY_OP_TYPES.map((t) => [t, UNARY_OPS[t].int8Version])) as Record<UnaryOpType, number>;
}

/**
 * erfc in double, far more accurate than the float32 results it feeds: the Maclaurin series of erf
 * below |x| = 3 (terms peak near e^9, so about 12 significant digits remain), Lentz's continued
 * fraction beyond.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return x > 0 ? 0 : 2;
  const z = Math.abs(x);
  let r: number;
  if (z < 3) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 200; n++) {
      term *= (-z * z) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(z) = exp(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))).
    const tiny = 1e-300;
    let fr = z;
    let c = z;
    let d = 0;
    for (let n = 1; n < 500; n++) {
      const a = n / 2;
      d = z + a * d;
      d = d === 0 ? tiny : 1 / d;
      c = z + a / c;
      if (c === 0) c = tiny;
      const delta = c * d;
      fr *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    r = Math.exp(-z * z) / Math.sqrt(Math.PI) / fr;
  }
  return x >= 0 ? r : 2 - r;
}
