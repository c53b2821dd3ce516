// fuseTableIntoProducer: an 8-bit table op (a unary op, LOGISTIC) reading a CONV_2D,
// DEPTHWISE_CONV_2D or FULLY_CONNECTED output that nothing else reads becomes the producer's
// epilogue (the GPU equality is test/kernels/conv-table.test.ts). The fused producer keeps its
// index and inputs and writes the op's output; a table op that does not qualify (a second reader
// of the producer's output, a graph output, a float producer, a producer with a fused ADD, a
// producer that is no convolution) stays; the CPU reference and the TFLite writer refuse the
// fused form; keepActivations skips the pass; the corpus models' table ops fuse.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { importTflite } from '../../src/model/import.ts';
import type { Graph, OpIR } from '../../src/model/graph.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { fuseAddIntoConvolution } from '../../src/passes/fuse-add.ts';
import { fuseTableIntoProducer, TABLE_OP_TYPES } from '../../src/passes/fuse-table.ts';
import { GPU_LOAD_PASSES, runPasses } from '../../src/passes/pipeline.ts';
import { runReference } from '../../src/reference/run.ts';
import { liveRanges } from '../../src/runtime/plan.ts';
import { convGraph, fullyConnectedGraph, quant, type ConvCase } from '../helpers/graphs.ts';
import { floatConvGraph } from '../helpers/float-graphs.ts';
import { withResidualAdd } from '../helpers/conv-add-graphs.ts';
import { withTableOp, unaryFanGraph, type TableOpType } from '../helpers/unary-graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

function int8Case(over: Partial<ConvCase>): ConvCase {
  return { kind: 'conv', dtype: 'int8', batch: 1, inH: 6, inW: 5, inC: 4, outC: 6, k: 3, stride: 1, dilation: 1, padding: 'SAME', activation: 'RELU6', depthMultiplier: 1, bias: true, ...over };
}

function tableGraph(type: TableOpType = 'HARD_SWISH', over: Partial<ConvCase> = {}, seed = 1): Graph {
  const rng = mulberry32(seed);
  return withTableOp(rng, convGraph(rng, int8Case(over)), type);
}

const fusedOf = (g: Graph) => g.ops.filter((op) => (op.options as { fusedTable?: unknown }).fusedTable !== undefined);

describe('fuseTableIntoProducer', () => {
  for (const [type, kind] of [['HARD_SWISH', 'conv'], ['LOGISTIC', 'depthwise'], ['TANH', 'conv']] as const) {
    it(`fuses ${type} into a ${kind} producer: the producer in its place, writing the op's output`, () => {
      const graph = tableGraph(type, { kind, ...(kind === 'depthwise' ? { outC: 4 } : {}) });
      const before = structuredClone(graph);
      const [producer, table] = graph.ops as [OpIR, OpIR];
      const fused = fuseTableIntoProducer(graph);
      expect(fused.ops).toEqual([{ ...producer, outputs: table.outputs, options: { ...producer.options, fusedTable: { op: table, intermediate: producer.outputs[0] } } }]);
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
      expect(fusedOf(fuseTableIntoProducer(graph)).map((op) => [op.type, op.index]), dtype).toEqual([['FULLY_CONNECTED', 0]]);
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
    for (const [why, g] of unchanged) expect(fuseTableIntoProducer(g), why).toBe(g);
  });

  it('a convolution with a fused ADD keeps its one epilogue; a table op after a fused one stays', () => {
    const rng = mulberry32(4);
    const withAdd = fuseAddIntoConvolution(withTableOp(rng, withResidualAdd(rng, convGraph(rng, int8Case({ k: 1 })), { activation: 'NONE', residualFirst: false, scaleRatio: 1 }), 'HARD_SWISH'));
    expect(withAdd.ops.map((op) => op.type)).toEqual(['CONV_2D', 'HARD_SWISH']);
    expect(fuseTableIntoProducer(withAdd)).toBe(withAdd);
    const twice = withTableOp(mulberry32(5), tableGraph('HARD_SWISH'), 'TANH');
    const fused = fuseTableIntoProducer(twice);
    expect(fused.ops.map((op) => op.type)).toEqual(['CONV_2D', 'TANH']);
    expect(fuseTableIntoProducer(fused)).toBe(fused);
  });

  it('a fused graph is the GPU\'s own: the CPU reference and the TFLite writer refuse it', () => {
    const fused = fuseTableIntoProducer(tableGraph());
    const inputs = fused.inputs.map((id) => new Int8Array(fused.tensors[id]!.shape.reduce((a, b) => a * b, 1)));
    expect(() => runReference(fused, inputs)).toThrow(/fused HARD_SWISH/);
    expect(() => exportTflite(fused)).toThrow(/fused HARD_SWISH .* has no TFLite encoding/);
  });

  it('is a load pass that drops activations (keepActivations skips it)', () => {
    expect(GPU_LOAD_PASSES.find((p) => p.name === 'fuse-table')?.dropsActivations).toBe(true);
  });

  it('fuses the corpus models\' table ops that follow a convolution read by nothing else', () => {
    // [file, table ops, of them fused]: SSD MobileNet v3's 18 HARD_SWISHes (its LOGISTIC reads a
    // CONCATENATION), the id model's LEAKY_RELUs, MoveNet's 2 LOGISTICs (its SQRT is float).
    const models: Array<[string, number, number]> = [
      ['armzoo_ssd_mobilenet_v3_int8.tflite', 19, 18],
      ['tflm_pr1341_id_model.tflite', 42, 42],
      ['coral_movenet_single_pose_lightning_ptq.tflite', 3, 2],
    ];
    for (const [file, tables, expected] of models) {
      const graph = importTflite(new Uint8Array(readFileSync(assetPath('models', 'corpus', file))), file);
      const loaded = runPasses(graph, GPU_LOAD_PASSES, { requantization: 'xnnpack' });
      const isTable = (op: OpIR) => TABLE_OP_TYPES.has(op.type);
      expect(graph.ops.filter(isTable), file).toHaveLength(tables);
      expect(fusedOf(loaded), file).toHaveLength(expected);
      expect(loaded.ops.filter(isTable), file).toHaveLength(tables - expected);
    }
  });
});
