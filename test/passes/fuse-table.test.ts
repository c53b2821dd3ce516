// fuseTableIntoProducer: an 8-bit table op (a unary op, LOGISTIC) reading a CONV_2D,
// DEPTHWISE_CONV_2D or FULLY_CONNECTED output that nothing else reads becomes the producer's
// epilogue (the GPU equality is test/kernels/conv-table.test.ts), and so do runs of them and of
// binary ops of their bytes (SiLU). The fused producer keeps its index and inputs and writes the
// run's output; a table op that does not qualify (a second reader of the producer's output, a
// graph output, a float producer, a producer with a fused ADD, a producer that is no
// convolution, a MUL by another activation) stays; the CPU reference and the TFLite writer refuse
// the fused form; keepActivations skips the pass; the corpus models' runs fuse.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { importTflite } from '../../src/model/import.ts';
import type { FusedTable, Graph, OpIR } from '../../src/model/graph.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { fuseAddIntoConvolution } from '../../src/passes/fuse-add.ts';
import { fuseTableIntoProducer } from '../../src/passes/fuse-table.ts';
import { GPU_LOAD_PASSES, runPasses } from '../../src/passes/pipeline.ts';
import { runReference, runReferenceAll } from '../../src/reference/run.ts';
import { liveRanges } from '../../src/runtime/plan.ts';
import { convGraph, fullyConnectedGraph, quant, randomInput, type ConvCase } from '../helpers/graphs.ts';
import { floatConvGraph } from '../helpers/float-graphs.ts';
import { withResidualAdd } from '../helpers/conv-add-graphs.ts';
import { withSilu, withTableOp, unaryFanGraph, type TableOpType } from '../helpers/unary-graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

function int8Case(over: Partial<ConvCase>): ConvCase {
  return { kind: 'conv', dtype: 'int8', batch: 1, inH: 6, inW: 5, inC: 4, outC: 6, k: 3, stride: 1, dilation: 1, padding: 'SAME', activation: 'RELU6', depthMultiplier: 1, bias: true, ...over };
}

function tableGraph(type: TableOpType = 'HARD_SWISH', over: Partial<ConvCase> = {}, seed = 1): Graph {
  const rng = mulberry32(seed);
  return withTableOp(rng, convGraph(rng, int8Case(over)), type);
}

/** conv → LOGISTIC → MUL(conv, logistic) (`swap`: MUL(logistic, conv)), yolov8's SiLU. */
const siluGraph = (rng: () => number, swap: boolean) => withSilu(rng, convGraph(rng, int8Case({ activation: 'NONE' })), swap);

/** conv → MUL by a constant of `count` values (1, or the 6 channels). */
function scaledGraph(rng: () => number, count: number): Graph {
  const graph = convGraph(rng, int8Case({ activation: 'NONE' }));
  const x = graph.tensors[graph.outputs[0]!]!;
  const k = { id: graph.tensors.length, name: 'scale', shape: [count], dtype: 'int8' as const, quant: quant(0.01, 0), data: new Uint8Array(count).fill(50) };
  const y = { ...x, id: k.id + 1, name: 'scaled', quant: quant(x.quant!.scale[0]! * 0.5, -4) };
  const mul = { type: 'MUL', index: 1, version: 1, inputs: [x.id, k.id], outputs: [y.id], options: { activation: 'NONE' } } as OpIR;
  return { ...graph, tensors: [...graph.tensors, k, y], ops: [...graph.ops, mul], outputs: [y.id] };
}

/** The pass with the program's default options. */
const fuse = (g: Graph) => fuseTableIntoProducer(g, { requantization: 'xnnpack', xnnpackDelegate: true });

const fusedOf = (g: Graph) => g.ops.filter((op) => (op.options as { fusedTable?: unknown }).fusedTable !== undefined);

describe('fuseTableIntoProducer', () => {
  for (const [type, kind] of [['HARD_SWISH', 'conv'], ['LOGISTIC', 'depthwise'], ['TANH', 'conv']] as const) {
    it(`fuses ${type} into a ${kind} producer: the producer in its place, writing the op's output`, () => {
      const graph = tableGraph(type, { kind, ...(kind === 'depthwise' ? { outC: 4 } : {}) });
      const before = structuredClone(graph);
      const [producer, table] = graph.ops as [OpIR, OpIR];
      const fused = fuse(graph);
      expect(fused.ops).toEqual([{ ...producer, outputs: table.outputs, options: { ...producer.options, fusedTable: { ops: [table], intermediate: producer.outputs[0], table: expect.any(Uint8Array) } } }]);
      expect(fused.tensors).toBe(graph.tensors);
      expect(fused.inputs).toEqual(graph.inputs);
      expect(fused.outputs).toEqual(graph.outputs);
      expect(graph).toEqual(before);
      // The intermediate is computed by no op: it has no buffer.
      expect(liveRanges(fused).has(producer.outputs[0]!)).toBe(false);
    });
  }

  it('fuses into a FULLY_CONNECTED, uint8 too', () => {
    for (const dtype of ['int8', 'uint8'] as const) {
      const rng = mulberry32(2);
      const graph = withTableOp(rng, fullyConnectedGraph(rng, { dtype, batch: 2, depth: 12, units: 5, perChannel: false, activation: 'NONE' }), 'LOGISTIC');
      expect(fusedOf(fuse(graph)).map((op) => [op.type, op.index]), dtype).toEqual([['FULLY_CONNECTED', 0]]);
    }
  });

  it('leaves a table op that does not qualify', () => {
    const unchanged: Array<[string, Graph]> = [];
    // The producer's output has a second reader, which needs it computed.
    const shared = tableGraph();
    const convOut = shared.ops[0]!.outputs[0]!;
    const second = shared.tensors.length;
    unchanged.push(['a RELU reads the convolution output too', {
      ...shared,
      tensors: [...shared.tensors, { ...shared.tensors[convOut]!, id: second, name: 'relu' }],
      ops: [...shared.ops, { type: 'RELU', index: 9, version: 1, inputs: [convOut], outputs: [second], options: {} } as OpIR],
      outputs: [...shared.outputs, second],
    }]);
    const output = tableGraph();
    unchanged.push(['the convolution output is a graph output', { ...output, outputs: [...output.outputs, output.ops[0]!.outputs[0]!] }]);
    // Float producers: their table ops are float arithmetic, no byte table.
    const rng = mulberry32(3);
    const float = floatConvGraph(rng, { kind: 'conv', batch: 1, inH: 5, inW: 5, inC: 3, outC: 4, k: 1, stride: 1, dilation: 1, padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: true, hybrid: false });
    const floatOut = float.outputs[0]!;
    unchanged.push(['a float producer', {
      ...float,
      tensors: [...float.tensors, { ...float.tensors[floatOut]!, id: float.tensors.length, name: 'hard swish' }],
      ops: [...float.ops, { type: 'HARD_SWISH', index: 1, version: 1, inputs: [floatOut], outputs: [float.tensors.length], options: {} } as OpIR],
      outputs: [float.tensors.length],
    }]);
    // A table op reading a graph input (no producer) or another table op's output.
    unchanged.push(['no producer', unaryFanGraph('int8', [1, 4, 4, 8], quant(0.05, 3), [{ type: 'HARD_SWISH', output: { scale: 0.04, zeroPoint: -5 } }], 'hard swish alone')]);
    // A per-channel quantized intermediate: the op's kernel needs one quantization.
    const perChannel = tableGraph();
    const pc = perChannel.ops[0]!.outputs[0]!;
    unchanged.push(['per-channel intermediate', { ...perChannel, tensors: perChannel.tensors.map((t) => (t.id === pc ? { ...t, quant: quant(new Array(6).fill(0.1), new Array(6).fill(0), 3) } : t)) }]);
    for (const [why, g] of unchanged) expect(fuse(g), why).toBe(g);
  });

  it('a convolution with a fused ADD keeps its one epilogue; table ops one after another fuse as one run', () => {
    const rng = mulberry32(4);
    const withAdd = fuseAddIntoConvolution(withTableOp(rng, withResidualAdd(rng, convGraph(rng, int8Case({ k: 1 })), { activation: 'NONE', residualFirst: false, scaleRatio: 1 }), 'HARD_SWISH'));
    expect(withAdd.ops.map((op) => op.type)).toEqual(['CONV_2D', 'HARD_SWISH']);
    expect(fuse(withAdd)).toBe(withAdd);
    const twice = withTableOp(mulberry32(5), tableGraph('HARD_SWISH'), 'TANH');
    const fused = fuse(twice);
    expect(fused.ops.map((op) => op.type)).toEqual(['CONV_2D']);
    expect((fused.ops[0]!.options as { fusedTable: FusedTable }).fusedTable.ops.map((op) => op.type)).toEqual(['HARD_SWISH', 'TANH']);
    expect(fused.outputs).toEqual(twice.outputs);
    expect(fuse(fused)).toBe(fused);
  });

  it('fuses SiLU, MUL(x, LOGISTIC(x)), in either operand order, and a MUL by a single constant; stops at an op of another activation', () => {
    for (const swap of [false, true]) {
      const graph = siluGraph(mulberry32(swap ? 6 : 7), swap);
      const fused = fuse(graph);
      expect(fused.ops.map((op) => op.type), `swap ${swap}`).toEqual(['CONV_2D']);
      expect((fused.ops[0]!.options as { fusedTable: FusedTable }).fusedTable.ops.map((op) => op.type)).toEqual(['LOGISTIC', 'MUL']);
      expect(fused.ops[0]!.outputs).toEqual(graph.outputs);
    }
    // SiLU with its output also read by a graph output in the middle: only what leaves one tensor fuses.
    const leaky = siluGraph(mulberry32(8), false);
    const logisticOut = leaky.ops[1]!.outputs[0]!;
    const partial: Graph = { ...leaky, outputs: [...leaky.outputs, logisticOut] };
    expect(fuse(partial)).toBe(partial);
    // x · a single constant fuses; x · a per-channel constant (its own tables, src/passes/byte-tables.ts) does not.
    for (const [count, fuses] of [[1, true], [6, false]] as const) {
      const g = scaledGraph(mulberry32(9), count);
      expect(fuse(g).ops.length, `${count} constant values`).toBe(fuses ? 1 : 2);
    }
    // x · y with y another activation: no function of x's byte.
    const g = scaledGraph(mulberry32(10), 1);
    const k = g.ops[1]!.inputs[1]!;
    const other: Graph = { ...g, tensors: g.tensors.map((t) => (t.id === k ? { ...t, data: undefined } : t)), inputs: [...g.inputs, k] };
    expect(fuse(other)).toBe(other);
  });

  it('the fused table maps each intermediate byte to the byte the reference computes from it, in both requantizations', () => {
    for (const [name, graph] of [['SiLU', siluGraph(mulberry32(11), false)], ['HARD_SWISH', tableGraph('HARD_SWISH', {}, 12)], ['TANH uint8', tableGraph('TANH', { dtype: 'uint8' }, 13)]] as const) {
      for (const requantization of ['tflite', 'xnnpack'] as const) {
        const fused = fuseTableIntoProducer(graph, { requantization, xnnpackDelegate: true });
        const { table, intermediate } = (fused.ops[0]!.options as { fusedTable: FusedTable }).fusedTable;
        const input = randomInput(mulberry32(3), graph.tensors[graph.inputs[0]!]!);
        const values = runReferenceAll(graph, [input], { requantization });
        const x = values.get(intermediate)! as Int8Array | Uint8Array;
        const y = values.get(graph.outputs[0]!)! as Int8Array | Uint8Array;
        let mismatches = 0;
        for (let e = 0; e < x.length; e++) if (table[x[e]! & 0xff] !== (y[e]! & 0xff)) mismatches++;
        expect(mismatches, `${name} (${requantization})`).toBe(0);
      }
    }
  });

  it('a fused graph is the GPU\'s own: the CPU reference and the TFLite writer refuse it', () => {
    const fused = fuse(tableGraph());
    const inputs = fused.inputs.map((id) => new Int8Array(fused.tensors[id]!.shape.reduce((a, b) => a * b, 1)));
    expect(() => runReference(fused, inputs)).toThrow(/fused HARD_SWISH/);
    expect(() => exportTflite(fused)).toThrow(/fused HARD_SWISH .* has no TFLite encoding/);
  });

  it('is a load pass that drops activations (keepActivations skips it)', () => {
    expect(GPU_LOAD_PASSES.find((p) => p.name === 'fuse-table')?.dropsActivations).toBe(true);
  });

  it('fuses the corpus models\' runs of byte functions after a convolution', () => {
    // [file, fused runs by producer + ops]: SSD MobileNet v3's HARD_SWISH ops and its hard-swish
    // gates written as ADD(x, 3) with RELU6 then MUL by x (its LOGISTIC reads a CONCATENATION),
    // yolov8n's SiLUs (one reads no convolution), the id model's LEAKY_RELUs, MoveNet's LOGISTICs.
    const models: Array<[string, Record<string, number>]> = [
      ['armzoo_ssd_mobilenet_v3_int8.tflite', { 'CONV_2D+HARD_SWISH': 10, 'CONV_2D+ADD+MUL': 9, 'DEPTHWISE_CONV_2D+HARD_SWISH': 8 }],
      ['openmv_yolov8n_192.tflite', { 'CONV_2D+LOGISTIC+MUL': 57 }],
      ['tflm_pr1341_id_model.tflite', { 'CONV_2D+LEAKY_RELU': 24, 'DEPTHWISE_CONV_2D+LEAKY_RELU': 18 }],
      ['coral_movenet_single_pose_lightning_ptq.tflite', { 'CONV_2D+LOGISTIC': 2 }],
    ];
    for (const [file, expected] of models) {
      const graph = importTflite(new Uint8Array(readFileSync(assetPath('models', 'corpus', file))), file);
      const loaded = runPasses(graph, GPU_LOAD_PASSES, { requantization: 'xnnpack' });
      const runs: Record<string, number> = {};
      for (const op of fusedOf(loaded)) {
        const key = [op.type, ...(op.options as { fusedTable: FusedTable }).fusedTable.ops.map((o) => o.type)].join('+');
        runs[key] = (runs[key] ?? 0) + 1;
      }
      expect(runs, file).toEqual(expected);
      const fusedOps = Object.entries(expected).reduce((n, [key, count]) => n + (key.split('+').length - 1) * count, 0);
      expect(loaded.ops.length, file).toBe(runPasses(graph, GPU_LOAD_PASSES.filter((p) => p.name !== 'fuse-table'), { requantization: 'xnnpack' }).ops.length - fusedOps);
    }
  });
});
