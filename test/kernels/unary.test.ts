// Unary activations and math and PRELU on the GPU equal the CPU reference byte for byte: every
// 8-bit op TFLite takes, int8 and legacy uint8, every input byte, an odd innermost dimension (the
// packed layout's padding lanes), several quantizations, both requantization modes (LEAKY_RELU
// and ELU round differently under 'xnnpack'). PRELU: constant per-channel alpha (its tables, every
// byte in every channel), broadcast alpha in the middle dimensions, a computed alpha, ranks 1 to
// 4. int32 ABS and NEG. dot4 plays no part in these kernels.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/model/graph.ts';
import { UNARY_OP_TYPES, type UnaryOpType } from '../../src/quant/unary.ts';
import { unaryOpDef } from '../../src/ops/unary.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { LoweringError } from '../../src/kernels/lowering.ts';
import { gpuVersusReference } from '../helpers/compare.ts';
import { describeFailures, floatGpuVersusReference } from '../helpers/float-graphs.ts';
import { REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { quant, randomBytes } from '../helpers/graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { everyByte, preluGraph, unaryFanGraph, type PreluCase, type UnaryBranch } from '../helpers/unary-graphs.ts';

/** The 8-bit ops per dtype, as src/quant/unary.ts takes them. */
const INT8_OPS: UnaryOpType[] = ['HARD_SWISH', 'LEAKY_RELU', 'TANH', 'ELU', 'GELU', 'RELU_N1_TO_1', 'RELU_0_TO_1', 'EXP', 'RSQRT', 'ABS'];
const UINT8_OPS: UnaryOpType[] = ['HARD_SWISH', 'LEAKY_RELU', 'TANH', 'GELU', 'RELU_N1_TO_1', 'RELU_0_TO_1'];

async function failuresOf(graph: Graph, inputs: TensorData[], mode: 'tflite' | 'xnnpack'): Promise<string[]> {
  const ctx = await testContext();
  const cmps = await gpuVersusReference(ctx, graph, inputs, mode);
  return cmps.flatMap((c, i) => (c.differing > 0 ? [`${graph.name} output ${i}: ${c.differing}/${c.elements} differ, ${c.firstDiff}`] : []));
}

function branches(ops: UnaryOpType[], offset: number, seed: number): UnaryBranch[] {
  const rng = mulberry32(seed);
  return ops.flatMap((type): UnaryBranch[] => {
    const output = { scale: 0.01 + rng() * 0.08, zeroPoint: Math.floor(rng() * 200) - 100 + offset };
    if (type === 'LEAKY_RELU') return [{ type, options: { alpha: 0.2 }, output }, { type, options: { alpha: -0.7 }, output }, { type, options: { alpha: 0.001 }, output }];
    if (type === 'GELU') return [{ type, options: { approximate: false }, output }, { type, options: { approximate: true }, output }];
    if (type === 'TANH') return [{ type, output: { scale: 1 / 128, zeroPoint: offset } }, { type, output }];
    return [{ type, output }];
  });
}

describe('8-bit unary tables on the GPU equal the reference', () => {
  for (const dtype of ['int8', 'uint8'] as const) {
    const ops = dtype === 'int8' ? INT8_OPS : UINT8_OPS;
    const offset = dtype === 'uint8' ? 128 : 0;
    for (const mode of REQUANTIZATION_MODES) {
      it(`${dtype}, ${mode}: ${ops.length} ops over every input byte, shape [2, 3, 43], two input quantizations`, async () => {
        const failures: string[] = [];
        for (const [k, [scale, zp]] of ([[0.047, 3], [0.11, -128]] as const).entries()) {
          const graph = unaryFanGraph(dtype, [2, 3, 43], quant(scale, zp + offset), branches(ops, offset, 10 + k), `${dtype} ${mode} in ${scale}/${zp + offset}`);
          failures.push(...(await failuresOf(graph, [everyByte(dtype, 258)], mode)));
        }
        expect(failures).toEqual([]);
      });
    }
  }

  it('refuses at load what TFLite refuses: uint8 ELU, int8 LOG, SQRT, NEG, SQUARE', async () => {
    const ctx = await testContext();
    for (const [dtype, type] of [['uint8', 'ELU'], ['int8', 'LOG'], ['int8', 'SQRT'], ['int8', 'NEG'], ['int8', 'SQUARE'], ['uint8', 'ABS']] as const) {
      const graph = unaryFanGraph(dtype, [5], quant(0.05, 0), [{ type, output: { scale: 0.05, zeroPoint: 0 } }], `${dtype} ${type}`);
      await expect(GpuProgram.build(ctx, graph), `${dtype} ${type}`).rejects.toThrow(LoweringError);
    }
  });
});

describe('PRELU on the GPU equals the reference', () => {
  const cases: PreluCase[] = [
    { dtype: 'int8', shape: [1, 4, 5, 7], alphaShape: [1, 1, 7], constantAlpha: true },
    { dtype: 'int8', shape: [1, 3, 5, 6], alphaShape: [3, 1, 1], constantAlpha: true },
    { dtype: 'int8', shape: [2, 3, 9], alphaShape: [3, 9], constantAlpha: false },
    { dtype: 'int8', shape: [13], alphaShape: [1], constantAlpha: true },
    { dtype: 'uint8', shape: [1, 2, 3, 5], alphaShape: [5], constantAlpha: true },
    { dtype: 'uint8', shape: [1, 2, 3, 5], alphaShape: [1, 2, 1, 5], constantAlpha: false },
  ];
  for (const mode of REQUANTIZATION_MODES) {
    it(`${cases.length} broadcasts and quantizations, ${mode}`, async () => {
      const failures: string[] = [];
      for (const [i, base] of cases.entries()) {
        const rng = mulberry32(300 + i);
        const offset = base.dtype === 'uint8' ? 128 : 0;
        const c: PreluCase = { ...base, inputQuant: [0.05, 7 + offset], alphaQuant: [0.004 + 0.01 * i, -20 + offset], outputQuant: [0.03 + 0.01 * i, -9 + offset] };
        const alphaCount = c.alphaShape.reduce((a, b) => a * b, 1);
        const alpha = randomBytes(rng, alphaCount, c.dtype as 'int8' | 'uint8');
        const graph = preluGraph(c, alpha);
        const count = c.shape.reduce((a, b) => a * b, 1);
        const inputs: TensorData[] = [randomBytes(rng, count, c.dtype as 'int8' | 'uint8')];
        if (!c.constantAlpha) inputs.push(alpha);
        failures.push(...(await failuresOf(graph, inputs, mode)));
      }
      expect(failures).toEqual([]);
    });
  }

  it('per-channel tables: every input byte in every channel, int8 and uint8, a partial last word', async () => {
    // Channel c of pixel p holds byte (p + 37c) mod 256, so each channel sees all 256 values.
    const failures: string[] = [];
    for (const [i, [dtype, channels]] of ([['int8', 6], ['uint8', 9]] as const).entries()) {
      const offset = dtype === 'uint8' ? 128 : 0;
      const c: PreluCase = {
        dtype, shape: [1, 16, 16, channels], alphaShape: [channels], constantAlpha: true,
        inputQuant: [0.05, 7 + offset], alphaQuant: [0.02, -20 + offset], outputQuant: [0.04, -9 + offset],
      };
      const alpha = randomBytes(mulberry32(400 + i), channels, dtype);
      const x = dtype === 'int8' ? new Int8Array(256 * channels) : new Uint8Array(256 * channels);
      for (let p = 0; p < 256; p++) for (let ch = 0; ch < channels; ch++) x[p * channels + ch] = (p + 37 * ch) & 0xff;
      for (const mode of REQUANTIZATION_MODES) failures.push(...(await failuresOf(preluGraph(c, alpha), [x], mode)));
    }
    expect(failures).toEqual([]);
  });
});

describe('int32 unary ops (ABS, NEG: the table\'s entries with an int32 form) on the GPU equal the reference', () => {
  it('including INT32_MIN, which ABS and NEG leave unchanged, and 0', async () => {
    const failures: string[] = [];
    const int32Ops = UNARY_OP_TYPES.filter((t) => unaryOpDef(t).int32);
    expect(int32Ops).toEqual(['ABS', 'NEG']);
    for (const type of int32Ops) {
      const graph = unaryFanGraph('int32', [2, 7], undefined, [{ type }], `int32 ${type}`);
      const x = Int32Array.from({ length: 14 }, (_, i) => (i * 987654321) | 0);
      x[0] = -2147483648;
      x[1] = 2147483647;
      x[2] = 0;
      failures.push(...(await failuresOf(graph, [x], 'tflite')));
    }
    expect(failures).toEqual([]);
  });
});


describe('float32 unary ops and PRELU on the GPU equal the float reference within tolerance', () => {
  it('every op, inputs in each one\'s domain, odd shapes; PRELU with constant and computed alpha', async () => {
    const ctx = await testContext();
    const failures: string[] = [];
    // Every op of the table (src/ops/unary.ts): a new entry is tested here without editing this file.
    const ops = UNARY_OP_TYPES;
    expect(ops).toContain('FLOOR');
    const rng = mulberry32(77);
    const signed = Float32Array.from({ length: 3 * 37 }, () => (rng() - 0.5) * 12);
    const positive = Float32Array.from({ length: 3 * 37 }, () => 0.01 + rng() * 20);
    for (const type of ops) {
      const domainPositive = type === 'LOG' || type === 'SQRT' || type === 'RSQRT';
      const brs: UnaryBranch[] = type === 'GELU' ? [{ type, options: { approximate: false } }, { type, options: { approximate: true } }] : type === 'LEAKY_RELU' ? [{ type, options: { alpha: 0.3 } }] : [{ type }];
      const graph = unaryFanGraph('float32', [3, 37], undefined, brs, `float ${type}`);
      failures.push(...describeFailures(graph.name, await floatGpuVersusReference(ctx, graph, [domainPositive ? positive : signed])));
    }
    for (const c of [
      { dtype: 'float32', shape: [1, 3, 5, 7], alphaShape: [1, 1, 7], constantAlpha: true },
      { dtype: 'float32', shape: [2, 5, 3], alphaShape: [5, 1], constantAlpha: false },
    ] satisfies PreluCase[]) {
      const count = c.shape.reduce((a, b) => a * b, 1);
      const alpha = Float32Array.from({ length: c.alphaShape.reduce((a, b) => a * b, 1) }, () => rng() - 0.3);
      const graph = preluGraph(c, alpha);
      const x = Float32Array.from({ length: count }, () => (rng() - 0.5) * 8);
      failures.push(...describeFailures(graph.name, await floatGpuVersusReference(ctx, graph, c.constantAlpha ? [x] : [x, alpha])));
    }
    expect(failures).toEqual([]);
  });
});
