// Every op defined in src/ops/unary.ts, taken from the table itself (a new entry is tested without
// editing this file): written by Octet's writer and read back as the same op, its float32 function
// against the TFLite runtime (the WASM build), and an 8-bit tensor refused by name on the CPU
// reference and the GPU where the definition has no 8-bit kernel. The GPU float path against the
// reference is test/kernels/unary.test.ts, over the same table.
import { describe, expect, it } from 'vitest';
import { SUPPORTED_OP_TYPES, importTflite } from '../../src/model/import.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { UNARY_OP_TYPES, unaryOpDef, type UnaryOpType } from '../../src/ops/unary.ts';
import { ReferenceRunError, runReference } from '../../src/reference/run.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { LoweringError } from '../../src/kernels/lowering.ts';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { testContext } from '../helpers/gpu.ts';
import { quant } from '../helpers/graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { unaryFanGraph, type UnaryBranch } from '../helpers/unary-graphs.ts';

/** Inputs in each op's domain: LOG, SQRT and RSQRT take positive numbers. */
function inputsFor(type: UnaryOpType): Float32Array {
  const rng = mulberry32(5);
  const positive = type === 'LOG' || type === 'SQRT' || type === 'RSQRT';
  // Exact halves and integers, ±0 and values around them, besides random ones: where FLOOR,
  // rounding or the clamps could go wrong.
  const edges = [0, -0, 0.5, -0.5, 1, -1, 1.5, -1.5, 2.5, -2.5, 3, -3, 6, -6, 1e-7, -1e-7, 123456.5, -123456.5, NaN, Infinity, -Infinity];
  const random = Array.from({ length: 2 * 39 - edges.length }, () => (rng() - 0.5) * 16);
  const values = [...edges, ...random].map((v) => (positive ? Math.abs(v) + 0.001 : v));
  return Float32Array.from(values);
}

function branchesFor(type: UnaryOpType): UnaryBranch[] {
  if (type === 'GELU') return [{ type, options: { approximate: false } }, { type, options: { approximate: true } }];
  // 0.25: a slope float32 stores exactly, so that the round trip compares equal.
  if (type === 'LEAKY_RELU') return [{ type, options: { alpha: 0.25 } }];
  return [{ type }];
}

/**
 * Ops whose float32 result is exact (no rounding anywhere): equal to the runtime bit for bit, ±0
 * included. Not LEAKY_RELU: XNNPACK gives +0 for −0 (measured), TFLite's reference kernel −0.
 */
const EXACT: ReadonlySet<UnaryOpType> = new Set(['FLOOR', 'CEIL', 'ROUND', 'SIGN', 'ABS', 'NEG', 'RELU_N1_TO_1', 'RELU_0_TO_1']);

/** Units in the last place of float32 between a and b. */
function ulps(a: number, b: number): number {
  if (Object.is(a, b)) return 0;
  // +0 and −0 are one step apart here, so that an exact op must keep the sign of zero.
  if (a === b) return 1;
  const view = new DataView(new ArrayBuffer(8));
  const ordered = (x: number) => {
    view.setFloat32(0, x);
    const bits = view.getInt32(0);
    return bits < 0 ? -(bits & 0x7fffffff) : bits;
  };
  return Math.abs(ordered(a) - ordered(b));
}

describe('the unary op table (src/ops/unary.ts)', () => {
  it('holds op types the importer reads, each with a float32 function and WGSL', () => {
    for (const type of UNARY_OP_TYPES) expect(SUPPORTED_OP_TYPES.has(type), type).toBe(true);
    for (const type of UNARY_OP_TYPES) {
      const def = unaryOpDef(type);
      expect(typeof def.float({})(1), type).toBe('number');
      expect(def.wgsl({}).length, type).toBeGreaterThan(0);
      // An 8-bit kernel needs a table method, and a table method an 8-bit dtype.
      expect(def.eightBit.length > 0, type).toBe(def.table !== undefined);
    }
  });

  for (const type of UNARY_OP_TYPES) {
    it(`${type}: written and read back as itself; float32 equals the TFLite runtime`, async () => {
      const graph = unaryFanGraph('float32', [2, 39], undefined, branchesFor(type), `float ${type}`);
      const tflite = exportTflite(graph);
      const back = importTflite(tflite, 'back');
      expect(back.ops.map((op) => [op.type, op.options])).toEqual(graph.ops.map((op) => [op.type, op.options]));
      const x = inputsFor(type);
      const peer = await createTflitePeer(tflite);
      const theirs = peer.run([x]);
      const ours = runReference(graph, [x]);
      // The reference rounds each step to float32 as TFLite's reference C++ does; the runtime's
      // XNNPACK delegate runs TANH and GELU through its own approximations, measured here at up
      // to 4 ulp and 4e-7 absolute (near GELU's zero tail). Stricter than the float path's own
      // tolerance (1e-4 of the output's magnitude), and exact for the ops whose result is exact.
      const failures: string[] = [];
      ours.forEach((o, k) => {
        const t = theirs[k] as Float32Array;
        for (let i = 0; i < x.length; i++) {
          const a = (o as Float32Array)[i]!;
          const d = ulps(a, t[i]!);
          const exact = EXACT.has(type);
          if (exact ? d !== 0 : d > 4 && !(Math.abs(a - t[i]!) <= 1e-6)) failures.push(`output ${k} at x = ${x[i]}: Octet ${a}, TFLite ${t[i]} (${d} ulp)`);
        }
      });
      expect(failures).toEqual([]);
    });
  }

  const int32Ops = UNARY_OP_TYPES.filter((t) => unaryOpDef(t).int32);
  it(`int32 equals the TFLite runtime exactly (${int32Ops.join(', ')}; ABS where the runtime has it)`, async () => {
    const x = Int32Array.from({ length: 78 }, (_, i) => (i * 987654321) | 0);
    x[0] = -2147483648;
    x[1] = 2147483647;
    x[2] = 0;
    x[3] = -1;
    for (const type of int32Ops) {
      const graph = unaryFanGraph('int32', [2, 39], undefined, [{ type }], `int32 ${type}`);
      if (type === 'ABS') {
        // The WASM runtime predates int32 ABS (its prepare fails); newer TFLite's elementwise.cc
        // takes it. The reference and the GPU still run it (test/kernels/unary.test.ts).
        await expect(createTflitePeer(exportTflite(graph))).rejects.toThrow(/Can't initialize model/);
        continue;
      }
      const peer = await createTflitePeer(exportTflite(graph));
      expect(Array.from(runReference(graph, [x])[0]!), type).toEqual(Array.from(peer.run([x])[0]! as Int32Array));
    }
    // Without an int32 form an op is refused by name on an int32 tensor, on both sides.
    const graph = unaryFanGraph('int32', [1, 4], undefined, [{ type: 'SIGN' }], 'int32 SIGN');
    expect(() => runReference(graph, [new Int32Array(4)])).toThrow(/int32/);
    await expect(GpuProgram.build(await testContext(), graph)).rejects.toThrow(/SIGN at operator 0 does not take int32/);
  });

  const without8Bit = UNARY_OP_TYPES.filter((t) => unaryOpDef(t).eightBit.length === 0);
  it(`an int8 tensor is refused by name where TFLite has no 8-bit kernel (${without8Bit.join(', ')})`, async () => {
    const ctx = await testContext();
    expect(without8Bit).toContain('FLOOR');
    for (const type of without8Bit) {
      const graph = unaryFanGraph('int8', [1, 8], quant(0.1, 0), [{ type, output: { scale: 0.1, zeroPoint: 0 } }], `int8 ${type}`);
      const x = new Int8Array(8);
      expect(() => runReference(graph, [x]), type).toThrow(ReferenceRunError);
      expect(() => runReference(graph, [x]), type).toThrow(new RegExp(`${type} does not take int8`));
      const build = GpuProgram.build(ctx, graph);
      await expect(build, type).rejects.toThrow(LoweringError);
      await expect(GpuProgram.build(ctx, graph), type).rejects.toThrow(new RegExp(`${type.toLowerCase()}#0: .*${type} does not take int8`));
    }
  });
});
