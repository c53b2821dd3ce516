// A residual ADD fused into the CONV_2D producing its operand (src/passes/fuse-add.ts) runs as one
// dispatch and equals the CPU reference of the unfused graph byte for byte: both operand orders,
// channels not a multiple of 4, stride 2, dilation 2, batch 2, per-channel int8 and legacy uint8
// (weight zero point) weights, ReLU/ReLU6 on the convolution and on the ADD, scale ratios on
// both sides of 1, in every int8 arithmetic, both requantizations and with dot4 and its
// fallback; a residual read across another convolution keeps its buffer; float32 bit for bit the
// convolution and the ADD run apart, and within the float tolerance of the reference.
import { describe, expect, it } from 'vitest';
import type { Activation } from '../../src/model/graph.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { runReference, runReferenceAll } from '../../src/reference/run.ts';
import { convGraph, describeCase, randomInput, type ConvCase } from '../helpers/graphs.ts';
import { compareFloat, describeFloatCase, floatConvGraph, randomFloatInput, type FloatConvCase } from '../helpers/float-graphs.ts';
import { compareTensors } from '../helpers/compare.ts';
import { addAlone, describeResidualAdd, residualAcrossConvs, withResidualAdd, type ResidualAdd } from '../helpers/conv-add-graphs.ts';
import { DOT4_MODES, INT8_ARITHMETICS, REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { mulberry32 } from '../helpers/rng.ts';

/** A convolution (its own activation `convActivation`) and the residual ADD after it (`activation` the ADD's). */
type Shape = Omit<ConvCase, 'kind' | 'depthMultiplier' | 'bias' | 'activation'> & ResidualAdd & { convActivation: Activation };

const SHAPES: Shape[] = [
  { dtype: 'int8', batch: 1, inH: 7, inW: 9, inC: 16, outC: 13, k: 1, stride: 1, dilation: 1, padding: 'SAME', convActivation: 'NONE', activation: 'NONE', residualFirst: false, scaleRatio: 0.7 },
  { dtype: 'int8', batch: 1, inH: 9, inW: 8, inC: 5, outC: 6, k: 3, stride: 2, dilation: 1, padding: 'SAME', convActivation: 'RELU6', activation: 'RELU6', residualFirst: true, scaleRatio: 1.6 },
  { dtype: 'uint8', batch: 1, inH: 6, inW: 5, inC: 7, outC: 9, k: 1, stride: 1, dilation: 1, padding: 'VALID', convActivation: 'NONE', activation: 'RELU', residualFirst: true, scaleRatio: 1 },
  { dtype: 'int8', batch: 2, inH: 9, inW: 9, inC: 8, outC: 16, k: 3, stride: 2, dilation: 1, padding: 'VALID', convActivation: 'RELU', activation: 'RELU6', residualFirst: false, scaleRatio: 2.5 },
  { dtype: 'uint8', batch: 1, inH: 8, inW: 7, inC: 3, outC: 5, k: 3, stride: 1, dilation: 2, padding: 'SAME', convActivation: 'RELU6', activation: 'NONE', residualFirst: false, scaleRatio: 0.4 },
  { dtype: 'int8', batch: 1, inH: 6, inW: 22, inC: 32, outC: 24, k: 1, stride: 2, dilation: 1, padding: 'SAME', convActivation: 'NONE', activation: 'RELU6', residualFirst: true, scaleRatio: 0.9 },
  { dtype: 'int8', batch: 1, inH: 7, inW: 7, inC: 4, outC: 3, k: 5, stride: 1, dilation: 1, padding: 'SAME', convActivation: 'RELU6', activation: 'RELU', residualFirst: false, scaleRatio: 1.25 },
];

function caseGraph(s: Shape, seed: number) {
  const rng = mulberry32(seed);
  const c: ConvCase = { ...s, kind: 'conv', activation: s.convActivation, depthMultiplier: 1, bias: seed % 3 !== 2 };
  const graph = withResidualAdd(rng, convGraph(rng, c), s);
  const inputs = graph.inputs.map((id) => randomInput(rng, graph.tensors[id]!));
  return { graph, inputs, what: `${describeCase(c)} then ${describeResidualAdd(s)}` };
}

for (const dot4 of DOT4_MODES) {
  describe(`CONV_2D with a fused residual ADD equals the reference of the unfused graph (dot4 ${dot4})`, () => {
    it(`${SHAPES.length} shapes, int8 and uint8, in every int8 arithmetic and both requantizations, one dispatch each`, async () => {
      const ctx = await testContext(dot4);
      const failures: string[] = [];
      let cases = 0;
      for (const [i, s] of SHAPES.entries()) {
        const { graph, inputs, what } = caseGraph(s, 300 + i);
        const intermediate = graph.ops[0]!.outputs[0]!;
        const sum = graph.outputs[0]!;
        for (const requantization of REQUANTIZATION_MODES) {
          const expected = runReferenceAll(graph, inputs, { requantization }).get(sum)!;
          for (const int8Arithmetic of INT8_ARITHMETICS) {
            const program = await GpuProgram.build(ctx, graph, { requantization, int8Arithmetic });
            try {
              const steps = program.stepList();
              if (steps.length !== 1 || !/^conv2d\+add#0$/.test(steps[0]!.label)) failures.push(`${what}: steps ${steps.map((x) => x.label).join(', ')}`);
              const { outputs, captured } = await program.run(inputs, { capture: [intermediate, sum] });
              // The convolution's own output is no longer computed, so it is not captured; the sum still is.
              if (captured.has(intermediate) || !captured.has(sum)) failures.push(`${what}: captured ${[...captured.keys()]}`);
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
      expect(cases).toBe(SHAPES.length * REQUANTIZATION_MODES.length * INT8_ARITHMETICS.length);
    });
  });
}

describe('a fused residual ADD and the buffer plan', () => {
  it('a residual also read by another convolution before the fused one keeps its buffer until the fused one runs', async () => {
    const ctx = await testContext();
    const rng = mulberry32(91);
    for (const channels of [8, 6]) {
      const graph = residualAcrossConvs(rng, channels);
      const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
      for (const requantization of REQUANTIZATION_MODES) {
        const program = await GpuProgram.build(ctx, graph, { requantization });
        try {
          expect(program.stepList().map((s) => s.label)).toEqual(['conv2d#0', 'conv2d#1', 'conv2d+add#2']);
          const { outputs } = await program.run([input]);
          const cmp = compareTensors(outputs[0]!, runReference(graph, [input], { requantization })[0]!);
          expect(cmp, `${channels} channels, ${requantization}`).toMatchObject({ differing: 0 });
        } finally {
          program.dispose();
        }
      }
    }
  });
});

describe('CONV_2D with a fused residual ADD, float32', () => {
  it('one dispatch, bit for bit the convolution and the ADD run apart, within tolerance of the reference', async () => {
    const ctx = await testContext();
    const failures: string[] = [];
    for (const [i, s] of SHAPES.entries()) {
      const rng = mulberry32(400 + i);
      const c: FloatConvCase = { ...s, kind: 'conv', activation: s.convActivation, depthMultiplier: 1, bias: true, hybrid: i % 3 === 2 };
      const conv = floatConvGraph(rng, c);
      const graph = withResidualAdd(rng, conv, s);
      const inputs = graph.inputs.map((id) => randomFloatInput(rng, graph.tensors[id]!));
      const what = `${describeFloatCase(c)} then ${describeResidualAdd(s)}`;
      const reference = runReferenceAll(graph, inputs);
      const fused = await GpuProgram.build(ctx, graph);
      const convApart = await GpuProgram.build(ctx, conv);
      const addApart = await GpuProgram.build(ctx, addAlone(graph));
      try {
        const steps = fused.stepList();
        if (steps.length !== 1 || !/^float conv2d\+add#0$/.test(steps[0]!.label)) failures.push(`${what}: steps ${steps.map((x) => x.label).join(', ')}`);
        const [got] = (await fused.run(inputs)).outputs;
        // The unfused computation on the GPU: the convolution, then the ADD of its output and the residual in the ADD's order.
        const [convOut] = (await convApart.run([inputs[0]!])).outputs;
        const residual = inputs[1]!;
        const [unfused] = (await addApart.run(s.residualFirst ? [residual, convOut!] : [convOut!, residual])).outputs;
        const bits = (x: unknown) => new Uint32Array((x as Float32Array).buffer);
        if (bits(got).length !== bits(unfused).length || bits(got).some((b, j) => b !== bits(unfused)[j])) failures.push(`${what}: differs from the unfused GPU run`);
        const cmp = compareFloat(got!, reference.get(graph.outputs[0]!) as Float32Array);
        if (cmp.bad > 0) failures.push(`${what}: ${cmp.bad} beyond tolerance, ${cmp.firstBad}`);
      } finally {
        fused.dispose();
        convApart.dispose();
        addApart.dispose();
      }
    }
    expect(failures).toEqual([]);
  });
});
