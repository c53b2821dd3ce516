// foldPadIntoConvolution: a PAD of H and W whose only reader is a VALID CONV_2D or
// DEPTHWISE_CONV_2D becomes the convolution's explicit padding; the CPU reference computes the
// folded graph to the same bytes as the original (the GPU equality is test/kernels/pad-conv.test.ts).
// Every PAD that does not qualify (SAME convolution, a second reader, a graph output, batch or
// channel padding, a quantization change, computed paddings) stays.
import { describe, expect, it } from 'vitest';
import type { ExplicitPadding, Graph, OpOf } from '../../src/model/graph.ts';
import { foldPadIntoConvolution } from '../../src/passes/fold-pad.ts';
import { runReference } from '../../src/reference/run.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { convGraph, quant, randomInput, type ConvCase } from '../helpers/graphs.ts';
import { floatConvGraph, randomFloatInput } from '../helpers/float-graphs.ts';
import { withPadBefore } from '../helpers/pad-conv-graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

function int8Case(over: Partial<ConvCase>): ConvCase {
  return { kind: 'conv', dtype: 'int8', batch: 1, inH: 9, inW: 8, inC: 5, outC: 6, k: 3, stride: 1, dilation: 1, padding: 'VALID', activation: 'NONE', depthMultiplier: 1, bias: true, ...over };
}

/** A PAD by `pads` before a VALID convolution over the padded [h, w] image. */
function padded(over: Partial<ConvCase>, pads: ExplicitPadding, seed = 1): Graph {
  return withPadBefore(convGraph(mulberry32(seed), int8Case(over)), pads);
}

const convOf = (g: Graph) => g.ops.find((op) => op.type === 'CONV_2D' || op.type === 'DEPTHWISE_CONV_2D') as OpOf<'CONV_2D'>;

function sameReference(original: Graph, folded: Graph, seed: number): void {
  const rng = mulberry32(seed);
  for (let k = 0; k < 3; k++) {
    const inputs = original.inputs.map((id) => (original.tensors[id]!.dtype === 'float32' ? randomFloatInput(rng, original.tensors[id]!) : randomInput(rng, original.tensors[id]!)));
    for (const requantization of ['tflite', 'xnnpack'] as const) {
      const want = runReference(original, inputs, { requantization });
      const got = runReference(folded, inputs, { requantization });
      got.forEach((g, i) => expect(Array.from(g), `${original.name} input set ${k} ${requantization}`).toEqual(Array.from(want[i]!)));
    }
  }
}

describe('foldPadIntoConvolution', () => {
  it('folds a PAD of H and W into the VALID convolution after it: one op less, the conv reading the unpadded input', () => {
    const pads = { top: 0, bottom: 1, left: 0, right: 1 };
    const graph = padded({ stride: 2 }, pads);
    const before = structuredClone(graph);
    const folded = foldPadIntoConvolution(graph);
    expect(folded.ops.map((op) => op.type)).toEqual(['CONV_2D']);
    const conv = convOf(folded);
    expect(conv.inputs[0]).toBe(graph.inputs[0]);
    expect(conv.index).toBe(convOf(graph).index);
    expect(conv.options).toEqual({ ...convOf(graph).options, explicitPadding: pads });
    expect(folded.tensors).toBe(graph.tensors);
    expect(graph).toEqual(before);
  });

  it('the folded graph equals the original on the CPU reference: asymmetric pads, stride 2, dilation, depthwise multiplier, int8, uint8, int64 paddings', () => {
    const cases: Array<[Partial<ConvCase>, ExplicitPadding]> = [
      [{ stride: 2 }, { top: 0, bottom: 1, left: 0, right: 1 }],
      [{ stride: 2, inH: 10, inW: 11 }, { top: 1, bottom: 1, left: 1, right: 1 }],
      [{ dilation: 2, inH: 11, inW: 12 }, { top: 2, bottom: 0, left: 3, right: 1 }],
      [{ dtype: 'uint8', k: 5, inH: 12, inW: 12 }, { top: 2, bottom: 2, left: 2, right: 2 }],
      // Padding wider than the window: whole output rows and columns read only padding.
      [{ inH: 12, inW: 11 }, { top: 4, bottom: 3, left: 4, right: 3 }],
      [{ kind: 'depthwise', depthMultiplier: 2, stride: 2, inC: 3 }, { top: 1, bottom: 2, left: 0, right: 1 }],
      [{ kind: 'depthwise', dtype: 'uint8', dilation: 2, inH: 10, inW: 10 }, { top: 1, bottom: 1, left: 2, right: 2 }],
    ];
    cases.forEach(([over, pads], i) => {
      const graph = withPadBefore(convGraph(mulberry32(10 + i), int8Case(over)), pads, i % 2 ? 'int64' : 'int32');
      const folded = foldPadIntoConvolution(graph);
      expect(folded.ops, graph.name).toHaveLength(1);
      sameReference(graph, folded, i);
    });
  });

  it('folds float32 PADs too (padding with 0), and a PAD of a PAD, their counts added', () => {
    const conv = floatConvGraph(mulberry32(3), { kind: 'depthwise', batch: 1, inH: 9, inW: 10, inC: 4, outC: 4, k: 3, stride: 2, dilation: 1, padding: 'VALID', activation: 'RELU6', depthMultiplier: 1, bias: true, hybrid: false });
    const once = withPadBefore(conv, { top: 1, bottom: 0, left: 1, right: 2 });
    const twice = withPadBefore(once, { top: 0, bottom: 1, left: 1, right: 0 });
    const folded = foldPadIntoConvolution(twice);
    expect(folded.ops.map((op) => op.type)).toEqual(['DEPTHWISE_CONV_2D']);
    expect(convOf(folded).options.explicitPadding).toEqual({ top: 1, bottom: 1, left: 2, right: 2 });
    expect(convOf(folded).inputs[0]).toBe(twice.inputs[0]);
    sameReference(twice, folded, 4);
  });

  it('leaves a PAD that is not only a VALID convolution’s spatial padding', () => {
    const pads = { top: 1, bottom: 1, left: 1, right: 1 };
    const unchanged: Array<[string, Graph]> = [];
    // The convolution pads itself (SAME): the PAD's rows are image to it.
    const same = padded({ padding: 'SAME' }, pads);
    unchanged.push(['SAME convolution', same]);
    // A second reader of the padded tensor needs it computed.
    const shared = padded({}, pads);
    unchanged.push(['padded tensor also a graph output', { ...shared, outputs: [...shared.outputs, convOf(shared).inputs[0]!] }]);
    // A reader that is no convolution needs the padded tensor computed.
    const mixed = padded({}, pads);
    const padOutId = convOf(mixed).inputs[0]!;
    const reluOut = mixed.tensors.length;
    unchanged.push(['a RELU reads it too', {
      ...mixed,
      tensors: [...mixed.tensors, { ...mixed.tensors[padOutId]!, id: reluOut, name: 'relu' }],
      ops: [...mixed.ops, { type: 'RELU', index: 9, version: 1, inputs: [padOutId], outputs: [reluOut], options: {} } as Graph['ops'][number]],
      outputs: [...mixed.outputs, reluOut],
    }]);
    // Padding the batch or the channels is no spatial padding.
    for (const [name, flat] of [['batch', [1, 0, 0, 0, 0, 0, 0, 0]], ['channels', [0, 0, 1, 1, 1, 1, 0, 1]]] as const) {
      const g = padded({ batch: 2, inC: 6 }, pads);
      const paddingsId = g.ops[0]!.inputs[1]!;
      const tensors = g.tensors.map((t) => (t.id === paddingsId ? { ...t, data: new Uint8Array(Int32Array.from(flat).buffer) } : t));
      // Shapes follow the paddings, so only the paddings decide.
      const input = g.tensors[g.inputs[0]!]!;
      const inShape = input.shape.map((d, i) => g.tensors[convOf(g).inputs[0]!]!.shape[i]! - flat[2 * i]! - flat[2 * i + 1]!);
      unchanged.push([`${name} padding`, { ...g, tensors: tensors.map((t) => (t.id === input.id ? { ...t, shape: inShape } : t)) }]);
    }
    // PAD changing the quantization (TFLite refuses it; the pass must not make it silently legal).
    const requant = padded({}, pads);
    const padOut = convOf(requant).inputs[0]!;
    unchanged.push(['quantization changed', { ...requant, tensors: requant.tensors.map((t) => (t.id === padOut ? { ...t, quant: quant(t.quant!.scale[0]! * 2, t.quant!.zeroPoint[0]!) } : t)) }]);
    // Paddings computed at run time (not folded to a constant).
    const computed = padded({}, pads);
    const pid = computed.ops[0]!.inputs[1]!;
    unchanged.push(['computed paddings', { ...computed, tensors: computed.tensors.map((t) => (t.id === pid ? { ...t, data: undefined } : t)) }]);
    for (const [why, g] of unchanged) expect(foldPadIntoConvolution(g), why).toBe(g);
  });

  it('folds a PAD read by two VALID convolutions into both (FastViT’s depthwise pairs)', () => {
    const g = padded({ kind: 'depthwise', inC: 4, stride: 2 }, { top: 1, bottom: 0, left: 0, right: 1 });
    const conv = convOf(g);
    const second = { ...conv, index: 9, options: { ...conv.options, strideH: 1, strideW: 1 }, outputs: [g.tensors.length] };
    const out = g.tensors[conv.outputs[0]!]!;
    const [, ph, pw] = g.tensors[conv.inputs[0]!]!.shape as [number, number, number, number];
    const graph: Graph = { ...g, tensors: [...g.tensors, { ...out, id: g.tensors.length, name: 'second', shape: [1, ph - 2, pw - 2, 4] }], ops: [...g.ops, second], outputs: [...g.outputs, g.tensors.length] };
    const folded = foldPadIntoConvolution(graph);
    expect(folded.ops.map((op) => [op.type, op.index, op.inputs[0]])).toEqual([
      ['DEPTHWISE_CONV_2D', conv.index, graph.inputs[0]],
      ['DEPTHWISE_CONV_2D', 9, graph.inputs[0]],
    ]);
    sameReference(graph, folded, 5);
  });

  it('a folded graph cannot be written as TFLite, which has no explicit padding', () => {
    const folded = foldPadIntoConvolution(padded({}, { top: 1, bottom: 0, left: 0, right: 1 }));
    expect(() => exportTflite(folded)).toThrow(/explicit padding .* has no TFLite encoding/);
  });
});
