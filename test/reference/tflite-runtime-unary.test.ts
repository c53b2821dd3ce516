// The unary activations and math and PRELU against the TFLite runtime itself (the WASM build,
// XNNPACK delegate, that made the reference vectors): every input byte, int8 and legacy uint8,
// several quantizations, including those of the corpus models that use these ops. The CPU
// reference under 'xnnpack' must give the runtime's bytes exactly; what the runtime refuses
// (uint8 ELU, ABS and RSQRT; 8-bit EXP, LOG, SQRT, NEG, SQUARE) the reference refuses too, except
// int8 EXP, which newer TFLite runs (see src/quant/unary.ts).
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/model/graph.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import type { UnaryOpType } from '../../src/quant/unary.ts';
import { ReferenceRunError, runReference, type TensorData } from '../../src/reference/run.ts';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { compareTensors } from '../helpers/compare.ts';
import { quant, randomBytes } from '../helpers/graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { everyByte, preluGraph, unaryFanGraph, type UnaryBranch } from '../helpers/unary-graphs.ts';

async function failuresVersusRuntime(graph: Graph, inputs: TensorData[]): Promise<string[]> {
  const peer = await createTflitePeer(exportTflite(graph));
  const tflite = peer.run(inputs);
  const ours = runReference(graph, inputs, { requantization: 'xnnpack' });
  return ours.flatMap((o, i) => {
    const t = tflite[i]!;
    const expected = o instanceof Int8Array ? new Int8Array(t.buffer, t.byteOffset, t.byteLength) : t;
    const cmp = compareTensors(o, expected as TensorData);
    return cmp.differing > 0 ? [`${graph.name} output ${i} (${graph.tensors[graph.outputs[i]!]!.name}): ${cmp.differing} differ, ${cmp.firstDiff}`] : [];
  });
}

type Q = [number, number];
/** Input (scale, zero point) and the outputs' per op, zero points in the int8 domain. */
const QUANTS: Array<{ input: Q; output: Q }> = [
  { input: [0.05, 3], output: [0.04, -20] },
  { input: [0.1, -10], output: [0.07, 5] },
  { input: [0.02, -128], output: [0.03, -100] },
  // armzoo_ssd_mobilenet_v3's first HARD_SWISH, tflm_pr1341's first LEAKY_RELU, gd32_yolov10's TANH.
  { input: [0.3731673061847687, -45], output: [0.2524546980857849, -127] },
  { input: [0.03382769599556923, -58], output: [0.025437908247113228, -119] },
  { input: [0.05632153898477554, -61], output: [0.0078125, 0] },
];

const RUNTIME_OPS: Record<'int8' | 'uint8', UnaryOpType[]> = {
  int8: ['HARD_SWISH', 'LEAKY_RELU', 'TANH', 'ELU', 'GELU', 'RELU_N1_TO_1', 'RELU_0_TO_1', 'ABS'],
  uint8: ['HARD_SWISH', 'LEAKY_RELU', 'TANH', 'GELU', 'RELU_N1_TO_1', 'RELU_0_TO_1'],
};

function branchesOf(ops: UnaryOpType[], output: Q, offset: number): UnaryBranch[] {
  const out = { scale: output[0], zeroPoint: output[1] + offset };
  return ops.flatMap((type): UnaryBranch[] => {
    if (type === 'LEAKY_RELU') {
      // 0.1 and −0.3 go to XNNPACK; 0 and 0.001 fall outside its slope bounds, to TFLite's kernel.
      return [0.1, -0.3, 0, 0.001].map((alpha) => ({ type, options: { alpha }, output: out }));
    }
    if (type === 'GELU') return [{ type, options: { approximate: false }, output: out }, { type, options: { approximate: true }, output: out }];
    return [{ type, output: out }];
  });
}

describe('8-bit unary ops equal the TFLite runtime on every input byte', () => {
  for (const dtype of ['int8', 'uint8'] as const) {
    it(`${dtype}: ${RUNTIME_OPS[dtype].join(', ')} over ${QUANTS.length} quantizations`, async () => {
      const offset = dtype === 'uint8' ? 128 : 0;
      const failures: string[] = [];
      for (const { input, output } of QUANTS) {
        const graph = unaryFanGraph(dtype, [1, 256], quant(input[0], input[1] + offset), branchesOf(RUNTIME_OPS[dtype], output, offset), `${dtype} ${input} → ${output}`);
        failures.push(...(await failuresVersusRuntime(graph, [everyByte(dtype, 256)])));
      }
      expect(failures).toEqual([]);
    }, 60_000);
  }

  it('int8 RSQRT on non-negative inputs (the runtime fails on negative ones), 0 giving the top', async () => {
    const failures: string[] = [];
    for (const [si, so, zo] of [[0.05, 0.04, -128], [0.1, 0.07, 5], [0.003, 0.5, -100], [0.2, 0.01, -128]] as const) {
      const graph = unaryFanGraph('int8', [1, 256], quant(si, -128), [{ type: 'RSQRT', output: { scale: so, zeroPoint: zo } }], `RSQRT ${si} → ${so}/${zo}`);
      failures.push(...(await failuresVersusRuntime(graph, [everyByte('int8', 256)])));
    }
    expect(failures).toEqual([]);
  });

  it('what the runtime refuses, the reference refuses by name', async () => {
    for (const [dtype, type] of [['uint8', 'ELU'], ['uint8', 'ABS'], ['uint8', 'RSQRT'], ['int8', 'LOG'], ['int8', 'SQRT'], ['int8', 'NEG'], ['int8', 'SQUARE'], ['uint8', 'SQUARE']] as const) {
      const graph = unaryFanGraph(dtype, [1, 8], quant(0.05, dtype === 'uint8' ? 128 : 0), [{ type, output: { scale: 0.05, zeroPoint: dtype === 'uint8' ? 128 : 0 } }], `${dtype} ${type}`);
      const x = everyByte(dtype, 8);
      await expect((async () => (await createTflitePeer(exportTflite(graph))).run([x]))(), `runtime ${dtype} ${type}`).rejects.toThrow();
      expect(() => runReference(graph, [x]), `reference ${dtype} ${type}`).toThrow(ReferenceRunError);
    }
  });
});

describe('8-bit PRELU equals the TFLite runtime (reference_ops::BroadcastPrelu4DSlow)', () => {
  it("palm detection's quantizations and per-channel constant alpha, and broadcasts", async () => {
    const failures: string[] = [];
    const cases: Array<{ shape: number[]; alphaShape: number[]; input: Q; alpha: Q; output: Q }> = [
      { shape: [1, 8, 8, 32], alphaShape: [1, 1, 32], input: [0.06586331129074097, 12], alpha: [0.02417568862438202, 0], output: [0.059878554195165634, -16] },
      { shape: [1, 4, 4, 32], alphaShape: [1, 1, 32], input: [0.09433858096599579, 30], alpha: [0.06428395956754684, 0], output: [0.3045973479747772, 97] },
      { shape: [1, 3, 5, 7], alphaShape: [7], input: [0.05, -3], alpha: [0.01, -20], output: [0.04, 9] },
      { shape: [1, 3, 5, 7], alphaShape: [3, 1, 1], input: [0.11, 40], alpha: [0.003, 17], output: [0.02, -60] },
    ];
    for (const [i, c] of cases.entries()) {
      const rng = mulberry32(900 + i);
      const alphaData = randomBytes(rng, c.alphaShape.reduce((a, b) => a * b, 1), 'int8');
      const graph = preluGraph({ dtype: 'int8', shape: c.shape, alphaShape: c.alphaShape, constantAlpha: true, inputQuant: c.input, alphaQuant: c.alpha, outputQuant: c.output }, alphaData);
      const count = c.shape.reduce((a, b) => a * b, 1);
      failures.push(...(await failuresVersusRuntime(graph, [everyByte('int8', count)])));
    }
    expect(failures).toEqual([]);
  }, 60_000);
});
