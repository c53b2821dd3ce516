// A table op (HARD_SWISH, LOGISTIC, TANH, LEAKY_RELU, RELU_N1_TO_1), or a run of byte functions
// (SiLU's MUL(x, LOGISTIC(x)), a hard-swish gate's ADD(x, 3) RELU6 then MUL), fused into the CONV_2D,
// DEPTHWISE_CONV_2D or FULLY_CONNECTED producing its input (src/passes/fuse-table.ts) runs as one
// dispatch and equals the CPU reference of the unfused graph byte for byte: int8 per-channel and
// legacy uint8 weights, channels not a multiple of 4, stride 2, dilation 2, a clamping activation
// on the producer, the depthwise kernel's 16-channel and word forms and its pixel strips, a
// one-row FULLY_CONNECTED where the GEMV would otherwise run, in every int8 arithmetic, both
// requantizations and with dot4 and its fallback; fused producers written in place into a
// CONCATENATION. The pass's structure is test/passes/fuse-table.test.ts.
import { describe, expect, it } from 'vitest';
import type { Graph, QuantParams } from '../../src/model/graph.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { runReference, runReferenceAll } from '../../src/reference/run.ts';
import { compareTensors } from '../helpers/compare.ts';
import { GEMV_TILES, isConcatStep } from '../helpers/concat-graphs.ts';
import { convGraph, describeCase, fullyConnectedGraph, GraphBuilder, quant, randomBytes, randomInput, type ConvCase } from '../helpers/graphs.ts';
import { DOT4_MODES, INT8_ARITHMETICS, REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { mulberry32, randInt } from '../helpers/rng.ts';
import { withHardSwishGate, withSilu, withTableOp, type TableOpType } from '../helpers/unary-graphs.ts';

interface TableCase {
  producer: Omit<ConvCase, 'bias'> | { kind: 'fc'; dtype: 'int8' | 'uint8'; batch: number; depth: number; units: number; gemv?: boolean };
  /** One table op, or a run: SiLU (MUL(x, LOGISTIC(x)), `swap`ped operands too) or a hard-swish gate (ADD(x, 3) RELU6, MUL). */
  table: TableOpType | 'SILU' | 'SILU_SWAPPED' | 'GATE';
  /** The step label the fused dispatch takes. */
  label: string;
}

const conv = (over: Partial<ConvCase>): Omit<ConvCase, 'bias'> => ({
  kind: 'conv', dtype: 'int8', batch: 1, inH: 7, inW: 9, inC: 8, outC: 12, k: 1, stride: 1, dilation: 1, padding: 'SAME', activation: 'NONE', depthMultiplier: 1, ...over,
});

const CASES: TableCase[] = [
  { producer: conv({ outC: 13 }), table: 'HARD_SWISH', label: 'conv2d+hard_swish#0' },
  { producer: conv({ dtype: 'uint8', inC: 5, outC: 7, k: 3, stride: 2, activation: 'RELU6' }), table: 'HARD_SWISH', label: 'conv2d+hard_swish#0' },
  { producer: conv({ batch: 2, inC: 3, outC: 6, k: 3, dilation: 2, padding: 'VALID', inH: 9, inW: 9 }), table: 'LOGISTIC', label: 'conv2d+logistic#0' },
  { producer: conv({ dtype: 'uint8', outC: 9 }), table: 'TANH', label: 'conv2d+tanh#0' },
  // 32 channels: the 16-channel form; 12 and 10: the word form, a cut last word.
  { producer: conv({ kind: 'depthwise', inC: 32, outC: 32, k: 3, inW: 11 }), table: 'HARD_SWISH', label: 'depthwise+hard_swish#0' },
  { producer: conv({ kind: 'depthwise', dtype: 'uint8', inC: 12, outC: 12, k: 3, stride: 2, activation: 'RELU6' }), table: 'HARD_SWISH', label: 'depthwise+hard_swish#0' },
  { producer: conv({ kind: 'depthwise', inC: 5, outC: 10, k: 5, depthMultiplier: 2 }), table: 'LEAKY_RELU', label: 'depthwise+leaky_relu#0' },
  { producer: conv({ kind: 'depthwise', inC: 16, outC: 16, k: 3, inW: 13 }), table: 'LOGISTIC', label: 'depthwise+logistic#0' },
  { producer: { kind: 'fc', dtype: 'int8', batch: 3, depth: 20, units: 11 }, table: 'RELU_N1_TO_1', label: 'fc+relu_n1_to_1#0' },
  { producer: { kind: 'fc', dtype: 'uint8', batch: 1, depth: 64, units: 9, gemv: true }, table: 'LOGISTIC', label: 'fc+logistic#0' },
  { producer: conv({ k: 3, outC: 10 }), table: 'SILU', label: 'conv2d+logistic+mul#0' },
  { producer: conv({ dtype: 'uint8', outC: 16, stride: 2 }), table: 'SILU_SWAPPED', label: 'conv2d+logistic+mul#0' },
  { producer: conv({ kind: 'depthwise', inC: 16, outC: 16, k: 3 }), table: 'GATE', label: 'depthwise+add+mul#0' },
  { producer: conv({ dtype: 'uint8', inC: 6, outC: 7, k: 1 }), table: 'GATE', label: 'conv2d+add+mul#0' },
];

function withTables(rng: () => number, graph: Graph, table: TableCase['table']): Graph {
  if (table === 'SILU' || table === 'SILU_SWAPPED') return withSilu(rng, graph, table === 'SILU_SWAPPED');
  if (table === 'GATE') return withHardSwishGate(rng, graph);
  return withTableOp(rng, graph, table);
}

function caseGraph(c: TableCase, seed: number): { graph: Graph; what: string; tiles?: typeof GEMV_TILES } {
  const rng = mulberry32(seed);
  const p = c.producer;
  if (p.kind === 'fc') {
    const fc = fullyConnectedGraph(rng, { dtype: p.dtype, batch: p.batch, depth: p.depth, units: p.units, perChannel: p.dtype === 'int8', activation: 'NONE' });
    return { graph: withTables(rng, fc, c.table), what: `${fc.name} then ${c.table}`, ...(p.gemv ? { tiles: GEMV_TILES } : {}) };
  }
  const cc: ConvCase = { ...p, bias: seed % 3 !== 2 };
  return { graph: withTables(rng, convGraph(rng, cc), c.table), what: `${describeCase(cc)} then ${c.table}` };
}

for (const dot4 of DOT4_MODES) {
  describe(`a table op fused into its producer equals the reference of the unfused graph (dot4 ${dot4})`, () => {
    it(`${CASES.length} cases, int8 and uint8, in every int8 arithmetic and both requantizations, one dispatch each`, async () => {
      const ctx = await testContext(dot4);
      const failures: string[] = [];
      let cases = 0;
      for (const [i, c] of CASES.entries()) {
        const { graph, what, tiles } = caseGraph(c, 500 + i);
        const intermediate = graph.ops[0]!.outputs[0]!;
        const input = randomInput(mulberry32(i), graph.tensors[graph.inputs[0]!]!);
        for (const requantization of REQUANTIZATION_MODES) {
          const expected = runReference(graph, [input], { requantization })[0]!;
          for (const int8Arithmetic of INT8_ARITHMETICS) {
            const program = await GpuProgram.build(ctx, graph, { requantization, int8Arithmetic, ...(tiles ? { tiles } : {}) });
            try {
              const steps = program.stepList().map((s) => s.label);
              if (steps.join() !== c.label) failures.push(`${what}: steps ${steps.join(', ')}`);
              const { outputs, captured } = await program.run([input], { capture: [intermediate] });
              // The producer's own output is no longer computed, so it is not captured.
              if (captured.has(intermediate)) failures.push(`${what}: the intermediate was captured`);
              const cmp = compareTensors(outputs[0]!, expected);
              if (cmp.differing > 0) failures.push(`${what} (${requantization}, ${int8Arithmetic}): ${cmp.differing}/${cmp.elements} differ, ${cmp.firstDiff}`);
              cases++;
            } finally {
              program.dispose();
            }
          }
        }
      }
      expect(failures).toEqual([]);
      expect(cases).toBe(CASES.length * REQUANTIZATION_MODES.length * INT8_ARITHMETICS.length);
    });
  });
}

/**
 * x [1, 6, 7, 8] → CONV_2D 1×1 (8 channels) → LOGISTIC, and x → DEPTHWISE_CONV_2D 3×3 (×2: 16
 * channels) → LOGISTIC, the two concatenated along the channels (their shared fixed quantization).
 */
function logisticsIntoConcat(dtype: 'int8' | 'uint8'): Graph {
  const rng = mulberry32(dtype === 'int8' ? 71 : 72);
  const b = new GraphBuilder();
  const offset = dtype === 'uint8' ? 128 : 0;
  const x = b.tensor('x', [1, 6, 7, 8], dtype, quant(0.04, offset + randInt(rng, -10, 10)));
  const logistic = quant(1 / 256, offset - 128);
  const weights = (shape: number[], channels: number, axis: number): { data: Int8Array | Uint8Array; q: QuantParams; scale: number } => {
    const count = shape.reduce((a, d) => a * d, 1);
    if (dtype === 'int8') {
      const scales = Array.from({ length: channels }, () => 0.004 + rng() * 0.01);
      return { data: randomBytes(rng, count, 'int8').map((v) => (v === -128 ? -127 : v)) as Int8Array, q: quant(scales, new Array(channels).fill(0), axis), scale: scales[0]! };
    }
    const scale = 0.004 + rng() * 0.01;
    return { data: randomBytes(rng, count, 'uint8'), q: quant(scale, randInt(rng, 110, 140)), scale };
  };
  const branch = (name: string, type: 'CONV_2D' | 'DEPTHWISE_CONV_2D', shape: number[], channels: number, taps: number): number => {
    const w = weights(shape, channels, type === 'CONV_2D' ? 0 : 3);
    const filter = b.tensor(`${name} filter`, shape, dtype, w.q, w.data);
    const pre = b.tensor(name, [1, 6, 7, channels], dtype, quant(0.04 * w.scale * Math.sqrt(taps) * 40, offset + randInt(rng, -10, 10)));
    const options = { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' };
    b.op({ type, inputs: [x, filter, -1], outputs: [pre], options: type === 'CONV_2D' ? options : { ...options, depthMultiplier: 2 } } as never);
    const out = b.tensor(`${name} logistic`, [1, 6, 7, channels], dtype, logistic);
    b.op({ type: 'LOGISTIC', inputs: [pre], outputs: [out], options: {} });
    return out;
  };
  const a = branch('conv', 'CONV_2D', [8, 1, 1, 8], 8, 8);
  const d = branch('depthwise', 'DEPTHWISE_CONV_2D', [1, 3, 3, 16], 16, 9);
  const y = b.tensor('concat', [1, 6, 7, 24], dtype, logistic);
  b.op({ type: 'CONCATENATION', inputs: [a, d], outputs: [y], options: { axis: 3, activation: 'NONE' } });
  return b.build([x], [y], `${dtype} conv and depthwise, each then LOGISTIC, concatenated`);
}

describe('fused table ops and an in-place concatenation', () => {
  it('both fused producers write the table ops\' outputs into the concatenation, no copy; equal the reference', async () => {
    const ctx = await testContext();
    for (const dtype of ['int8', 'uint8'] as const) {
      const graph = logisticsIntoConcat(dtype);
      const input = randomInput(mulberry32(3), graph.tensors[graph.inputs[0]!]!);
      for (const requantization of REQUANTIZATION_MODES) {
        const expected = runReferenceAll(graph, [input], { requantization });
        const program = await GpuProgram.build(ctx, graph, { requantization });
        try {
          const steps = program.stepList().map((s) => s.label);
          expect(steps, `${dtype}, ${requantization}`).toEqual(['conv2d+logistic#0', 'depthwise+logistic#2']);
          expect(steps.some(isConcatStep)).toBe(false);
          const { outputs } = await program.run([input]);
          expect(compareTensors(outputs[0]!, expected.get(graph.outputs[0]!)!), `${dtype}, ${requantization}`).toMatchObject({ differing: 0 });
        } finally {
          program.dispose();
        }
      }
    }
  });
});
