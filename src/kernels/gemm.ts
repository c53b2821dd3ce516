// Tiled GEMM programs (shaders/gemm.wgsl): int8 through dot4 (dot4I8Packed or its fallback) and
// f32, tile sizes as template parameters. Used by the benchmark to measure what the int8 path can
// reach and to compare a GEMM formulation of 1×1 convolutions with the conv kernel; the model path
// runs 1×1 convolutions through the conv kernel's micro-tile (src/kernels/conv2d.ts), which took
// 0.55-0.65 of this GEMM's time on MobileNet v2 and VWW on SwiftShader.
import gemmSource from '../../shaders/gemm.wgsl?raw';
import commonSource from '../../shaders/common.wgsl?raw';
import wideIntSource from '../../shaders/wide-int.wgsl?raw';
import { renderShader } from './shader.ts';

export type GemmKind = 'int8-dot4' | 'int8-fallback' | 'f32';

export interface GemmTile {
  /** Output tile of one workgroup. */
  tileM: number;
  tileN: number;
  /** Outputs of one invocation. */
  tm: number;
  tn: number;
  /** K elements per step through workgroup memory (int8 values; a multiple of 4 for int8). */
  k: number;
  /** Stage operand tiles in workgroup memory (false: registers only, operands from storage). */
  shared: boolean;
  /**
   * Registers only with K loaded 4 storage elements at a time (vec4; 16 int8 values or 4 floats)
   * and a fixed 4×4 block per invocation. Needs K (in storage elements) divisible by 4.
   */
  vec?: boolean;
  /**
   * int8 with vec: sign-extend each loaded operand once and multiply as i32 vectors, instead of
   * one dot4 per product (for adapters that emulate dot4I8Packed; same results, both wrap in i32).
   */
  unpacked?: boolean;
}

export const DEFAULT_GEMM_TILE: GemmTile = { tileM: 64, tileN: 64, tm: 4, tn: 4, k: 16, shared: true };

export function describeTile(t: GemmTile): string {
  return `${t.tileM}x${t.tileN} tile, ${t.tm}x${t.tn} per invocation, ` + (t.shared ? `K step ${t.k} via workgroup memory` : t.vec ? `registers only, K in vec4${t.unpacked ? ', unpacked once' : ''}` : 'registers only');
}

export interface GemmShaderOptions {
  /** int8 only: requantize to packed int8 with per-channel params (a 1×1 convolution). */
  requant?: boolean;
  /** With requant: XNNPACK's float requantization (else TFLite's fixed point). */
  floatRequant?: boolean;
}

export interface GemmShader {
  code: string;
  workgroupSize: [number, number];
  /** Elements of K per element of the uniform's k: int8 4 (words) or 16 (vec4 of words); f32 1 or 4. */
  kPack: number;
}

export function gemmShader(kind: GemmKind, tile: GemmTile, options: GemmShaderOptions = {}): GemmShader {
  const int8 = kind !== 'f32';
  if (tile.tileM % tile.tm || tile.tileN % tile.tn) throw new Error(`tile ${describeTile(tile)}: tile not a multiple of the per-invocation block`);
  if (int8 && tile.k % 4) throw new Error(`tile ${describeTile(tile)}: int8 K step must be a multiple of 4`);
  if (tile.vec && (tile.shared || tile.tm !== 4 || tile.tn !== 4)) throw new Error(`tile ${describeTile(tile)}: the vec4 variant is registers-only with a 4x4 block`);
  if (options.requant && (!int8 || tile.tn !== 4)) throw new Error('requantized output needs int8 and 4 outputs per invocation along N');
  const wgX = tile.tileN / tile.tn;
  const wgY = tile.tileM / tile.tm;
  const params = {
    INT8: int8,
    SHARED: tile.shared,
    VEC: tile.vec === true,
    UNPACKED: int8 && tile.vec === true && tile.unpacked === true,
    REQUANT: options.requant === true,
    DOT4: kind === 'int8-dot4',
    FLOAT_REQUANT: options.floatRequant === true,
    // common.wgsl's switch for ruy's rounding (TFLite's builtin kernels), which the bench does not take.
    RUY_REQUANT: false,
    EXACT_SUMS: false,
    WORKGROUP_SIZE: wgX * wgY,
    TILE_M: tile.tileM,
    TILE_N: tile.tileN,
    TM: tile.tm,
    TN: tile.tn,
    KS: int8 ? tile.k / 4 : tile.k,
    WG_X: wgX,
    WG_Y: wgY,
  };
  const code = (int8 ? wideIntSource + '\n' + renderShader(commonSource, params) + '\n' : '') + renderShader(gemmSource, params);
  return { code, workgroupSize: [wgX, wgY], kPack: (int8 ? 4 : 1) * (tile.vec ? 4 : 1) };
}

export function gemmWorkgroups(m: number, n: number, tile: GemmTile): [number, number, number] {
  return [Math.ceil(n / tile.tileN), Math.ceil(m / tile.tileM), 1];
}

/** Workgroup memory the tile needs, in bytes (both operand tiles, 4-byte elements). */
export function gemmWorkgroupBytes(kind: GemmKind, tile: GemmTile): number {
  if (!tile.shared) return 0;
  const ks = kind === 'f32' ? tile.k : tile.k / 4;
  return (tile.tileM + tile.tileN) * ks * 4;
}

/** Whether a tile can run a K of `k` elements (the vec4 variant needs whole vec4s). */
export function tileAcceptsK(kind: GemmKind, tile: GemmTile, k: number): boolean {
  return !tile.vec || k % ((kind === 'f32' ? 1 : 4) * 4) === 0;
}

/** Row-major rows×cols int8 → rows × ceil(cols/4) little-endian words (zero padded). */
export function packRowsInt8(src: Int8Array, rows: number, cols: number): Uint32Array {
  const words = Math.ceil(cols / 4);
  const out = new Uint32Array(rows * words);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * words + (c >> 2)]! |= (src[r * cols + c]! & 0xff) << (8 * (c & 3));
  }
  return out;
}

/**
 * Uniform block of shaders/gemm.wgsl: sizes (K in storage elements) and output parameters, padded
 * to 8 words (a uniform struct's size rounds up to 16 bytes).
 */
export function gemmUniforms(m: number, n: number, kElems: number, outputZp = 0, actMin = -128, actMax = 127): Uint32Array {
  const u = new Uint32Array(8);
  const i = new Int32Array(u.buffer);
  u[0] = m;
  u[1] = n;
  u[2] = kElems;
  i[3] = outputZp;
  i[4] = actMin;
  i[5] = actMax;
  return u;
}
