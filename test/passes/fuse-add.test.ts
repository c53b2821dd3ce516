// fuseAddIntoConvolution: an ADD of a CONV_2D output read by nothing else and a same-shaped
// activation becomes the convolution's epilogue (the GPU equality is test/kernels/conv-add.test.ts).
// The fused op takes the ADD's place, output and the residual as input 3, the convolution keeps
// its index; an ADD that does not qualify (a second reader of the convolution's output, a graph
// output, a constant or broadcast residual, a depthwise producer, a dtype change) stays; the
// buffer plan keeps the residual live through the fused op; the asset models' residual ADDs fuse.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { importTflite } from '../../src/model/import.ts';
import type { Graph, OpIR, OpOf } from '../../src/model/graph.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { fuseAddIntoConvolution } from '../../src/passes/fuse-add.ts';
import { GPU_LOAD_PASSES, runPasses } from '../../src/passes/pipeline.ts';
import { runReference } from '../../src/reference/run.ts';
import { liveRanges, planBuffers } from '../../src/runtime/plan.ts';
import { convGraph, quant, type ConvCase } from '../helpers/graphs.ts';
import { floatConvGraph } from '../helpers/float-graphs.ts';
import { residualAcrossConvs, withResidualAdd, type ResidualAdd } from '../helpers/conv-add-graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

function int8Case(over: Partial<ConvCase>): ConvCase {
  return { kind: 'conv', dtype: 'int8', batch: 1, inH: 8, inW: 7, inC: 5, outC: 6, k: 1, stride: 1, dilation: 1, padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: true, ...over };
}

function residualGraph(over: Partial<ConvCase> = {}, add: Partial<ResidualAdd> = {}, seed = 1): Graph {
  const rng = mulberry32(seed);
  return withResidualAdd(rng, convGraph(rng, int8Case(over)), { activation: 'NONE', residualFirst: false, scaleRatio: 0.8, ...add });
}

const fusedConvs = (g: Graph) => g.ops.filter((op): op is OpOf<'CONV_2D'> => op.type === 'CONV_2D' && op.options.fusedAdd !== undefined);

describe('fuseAddIntoConvolution', () => {
  for (const residualFirst of [false, true]) {
    it(`fuses ${residualFirst ? 'ADD(residual, conv)' : 'ADD(conv, residual)'}: the convolution in the ADD's place, writing its output, the residual its input 3`, () => {
      const graph = residualGraph({ activation: 'RELU6' }, { activation: 'RELU', residualFirst });
      const before = structuredClone(graph);
      const [conv, add] = graph.ops as [OpOf<'CONV_2D'>, OpOf<'ADD'>];
      const fused = fuseAddIntoConvolution(graph);
      expect(fused.ops).toHaveLength(1);
      expect(fused.ops[0]).toEqual({
        ...conv,
        inputs: [...conv.inputs, add.inputs[residualFirst ? 0 : 1]],
        outputs: add.outputs,
        options: { ...conv.options, fusedAdd: { index: add.index, intermediate: conv.outputs[0], activation: 'RELU', residualFirst } },
      });
      expect(fused.tensors).toBe(graph.tensors);
      expect(fused.inputs).toEqual(graph.inputs);
      expect(fused.outputs).toEqual(graph.outputs);
      expect(graph).toEqual(before);
    });
  }

  it('fuses float32 convolutions (hybrid weights too) and a convolution without bias', () => {
    for (const hybrid of [false, true]) {
      const rng = mulberry32(hybrid ? 2 : 3);
      const conv = floatConvGraph(rng, { kind: 'conv', batch: 1, inH: 6, inW: 6, inC: 3, outC: 5, k: 3, stride: 2, dilation: 1, padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: !hybrid, hybrid });
      const fused = fuseAddIntoConvolution(withResidualAdd(rng, conv, { activation: 'RELU6', residualFirst: true, scaleRatio: 1 }));
      expect(fusedConvs(fused).map((op) => op.inputs.length)).toEqual([4]);
      if (hybrid) expect(fused.ops[0]!.inputs[2]).toBe(-1);
    }
  });

  it('leaves an ADD that does not qualify', () => {
    const unchanged: Array<[string, Graph]> = [];
    // The convolution's output has a second reader, which needs it computed.
    const shared = residualGraph();
    const convOut = shared.ops[0]!.outputs[0]!;
    const reluOut = shared.tensors.length;
    unchanged.push(['a RELU reads the convolution output too', {
      ...shared,
      tensors: [...shared.tensors, { ...shared.tensors[convOut]!, id: reluOut, name: 'relu' }],
      ops: [...shared.ops, { type: 'RELU', index: 9, version: 1, inputs: [convOut], outputs: [reluOut], options: {} } as OpIR],
      outputs: [...shared.outputs, reluOut],
    }]);
    const output = residualGraph();
    unchanged.push(['the convolution output is a graph output', { ...output, outputs: [...output.outputs, output.ops[0]!.outputs[0]!] }]);
    // A constant residual (a bias added by ADD) or a broadcast one is no residual of the output's shape.
    const constant = residualGraph();
    const residualId = constant.inputs[1]!;
    unchanged.push(['constant residual', {
      ...constant,
      inputs: [constant.inputs[0]!],
      tensors: constant.tensors.map((t) => (t.id === residualId ? { ...t, data: new Uint8Array(t.shape.reduce((a, b) => a * b, 1)) } : t)),
    }]);
    const broadcast = residualGraph();
    unchanged.push(['broadcast residual', { ...broadcast, tensors: broadcast.tensors.map((t) => (t.id === broadcast.inputs[1] ? { ...t, shape: [1, 1, 1, t.shape[3]!] } : t)) }]);
    // Depthwise convolutions have no fused epilogue.
    unchanged.push(['depthwise producer', residualGraph({ kind: 'depthwise', inC: 6 })]);
    // An 8-bit ADD of a float convolution's output (no such ADD kernel), or a residual of another dtype.
    const mixed = residualGraph();
    unchanged.push(['uint8 residual with int8 convolution', { ...mixed, tensors: mixed.tensors.map((t) => (t.id === mixed.inputs[1] ? { ...t, dtype: 'uint8', quant: quant(0.1, 128) } : t)) }]);
    for (const [why, g] of unchanged) expect(fuseAddIntoConvolution(g), why).toBe(g);
  });

  it('of two convolution operands fuses the one computed later; a fused convolution takes no second ADD', () => {
    // b = conv(x), c = conv(b), a = conv(c), ADD(a, b): both operands are convolution outputs, but b has two readers.
    const chain = residualAcrossConvs(mulberry32(4), 8);
    expect(fusedConvs(fuseAddIntoConvolution(chain)).map((op) => op.index)).toEqual([2]);
    // Two single-reader convolutions, s = conv(x) (index 7) then a = conv(x) (index 0), and ADD(s, a), then ADD(sum, r):
    // a, computed later, fuses (s is ready by then); the second ADD's operand is no convolution output.
    const base = residualGraph({}, {}, 5);
    const conv = base.ops[0] as OpOf<'CONV_2D'>;
    const [x, r] = base.inputs as [number, number];
    const [a, sum] = [conv.outputs[0]!, base.outputs[0]!];
    const skip = base.tensors.length;
    const sum2 = skip + 1;
    const graph: Graph = {
      ...base,
      tensors: [...base.tensors, { ...base.tensors[a]!, id: skip, name: 'skip' }, { ...base.tensors[sum]!, id: sum2, name: 'sum2' }],
      ops: [
        { ...conv, index: 7, outputs: [skip] },
        conv,
        { ...base.ops[1]!, inputs: [skip, a] },
        { type: 'ADD', index: 8, version: 1, inputs: [sum, r], outputs: [sum2], options: { activation: 'NONE' } } as OpIR,
      ],
      outputs: [sum2],
    };
    const fused = fuseAddIntoConvolution(graph);
    expect(fused.ops.map((op) => [op.type, op.index])).toEqual([['CONV_2D', 7], ['CONV_2D', conv.index], ['ADD', 8]]);
    expect(fusedConvs(fused).map((op) => [op.index, op.inputs[3], op.options.fusedAdd!.residualFirst])).toEqual([[conv.index, skip, true]]);
  });

  it('the buffer plan keeps the residual live through the fused convolution and gives the sum another buffer', () => {
    const graph = residualAcrossConvs(mulberry32(6), 8);
    const fused = fuseAddIntoConvolution(graph);
    const [, , last] = fused.ops as [OpIR, OpIR, OpOf<'CONV_2D'>];
    const residual = last.inputs[3]!;
    const ranges = liveRanges(fused);
    expect(ranges.get(residual)).toEqual([0, 2]);
    // The intermediate tensor is no longer computed: no buffer.
    expect(ranges.has(last.options.fusedAdd!.intermediate)).toBe(false);
    const plan = planBuffers(fused);
    expect(plan.slotOf.get(last.outputs[0]!)).not.toBe(plan.slotOf.get(residual));
  });

  it('a fused graph is the GPU\'s own: the CPU reference and the TFLite writer refuse it', () => {
    const fused = fuseAddIntoConvolution(residualGraph());
    const inputs = fused.inputs.map((id) => new Int8Array(fused.tensors[id]!.shape.reduce((a, b) => a * b, 1)));
    expect(() => runReference(fused, inputs)).toThrow(/fused ADD/);
    expect(() => exportTflite(fused)).toThrow(/fused ADD .* has no TFLite encoding/);
  });

  it('fuses the asset models\' residual ADDs: MobileNet v2 (both) 10, ResNet-8 (int8 and float) 3', () => {
    // [path, ADDs, of them fused]: every residual ADD of these models adds a convolution's output.
    const models: Array<[string[], number, number]> = [
      [['models', 'coral', 'mobilenet_v2_1.0_224_quant.tflite'], 10, 10],
      [['models', 'coral', 'tf2_mobilenet_v2_1.0_224_ptq.tflite'], 10, 10],
      [['models', 'mlperf-tiny', 'pretrainedResnet_quant.tflite'], 3, 3],
      [['models', 'mlperf-tiny', 'pretrainedResnet.tflite'], 3, 3],
    ];
    for (const [parts, adds, expected] of models) {
      const graph = importTflite(new Uint8Array(readFileSync(assetPath(...parts))), parts.at(-1)!);
      const loaded = runPasses(graph, GPU_LOAD_PASSES, { requantization: 'xnnpack' });
      expect(graph.ops.filter((op) => op.type === 'ADD'), parts.at(-1)).toHaveLength(adds);
      expect(fusedConvs(loaded), parts.at(-1)).toHaveLength(expected);
      expect(loaded.ops.filter((op) => op.type === 'ADD'), parts.at(-1)).toHaveLength(adds - expected);
      expect(loaded.ops, parts.at(-1)).toHaveLength(graph.ops.length - expected);
    }
  });
});
