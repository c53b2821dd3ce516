// A PAD folded into the convolution after it (src/passes/fold-pad.ts) runs as one dispatch and
// equals the CPU reference of the unfused graph byte for byte: asymmetric pads (TF2's stride-2
// 0/1 pattern), pads wider than the window, stride 2, dilation 2, depthwise multiplier 2,
// int8 and uint8 in every int8 arithmetic and both requantizations; float32 bit for bit the
// unfused GPU computation (the PAD then the VALID convolution over its output) and within the
// float tolerance of the reference.
import { describe, expect, it } from 'vitest';
import type { ExplicitPadding } from '../../src/model/graph.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { runReferenceAll } from '../../src/reference/run.ts';
import { convGraph, describeCase, randomInput, type ConvCase } from '../helpers/graphs.ts';
import { compareFloat, describeFloatCase, floatConvGraph, randomFloatInput, type FloatConvCase } from '../helpers/float-graphs.ts';
import { compareTensors } from '../helpers/compare.ts';
import { INT8_ARITHMETICS, REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { withPadBefore } from '../helpers/pad-conv-graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

type Shape = Pick<ConvCase, 'kind' | 'inC' | 'outC' | 'k' | 'stride' | 'dilation' | 'depthMultiplier'> & { h: number; w: number; pads: ExplicitPadding };

/** Image sizes before padding; every case pads asymmetrically somewhere or beyond the window. */
const SHAPES: Shape[] = [
  { kind: 'conv', h: 8, w: 8, inC: 3, outC: 8, k: 3, stride: 2, dilation: 1, depthMultiplier: 1, pads: { top: 0, bottom: 1, left: 0, right: 1 } },
  { kind: 'conv', h: 7, w: 9, inC: 5, outC: 6, k: 3, stride: 1, dilation: 2, depthMultiplier: 1, pads: { top: 2, bottom: 0, left: 3, right: 1 } },
  { kind: 'conv', h: 6, w: 6, inC: 8, outC: 4, k: 5, stride: 2, dilation: 1, depthMultiplier: 1, pads: { top: 1, bottom: 2, left: 2, right: 1 } },
  { kind: 'conv', h: 5, w: 4, inC: 4, outC: 5, k: 3, stride: 1, dilation: 1, depthMultiplier: 1, pads: { top: 4, bottom: 3, left: 3, right: 4 } },
  { kind: 'conv', h: 9, w: 9, inC: 16, outC: 16, k: 1, stride: 2, dilation: 1, depthMultiplier: 1, pads: { top: 1, bottom: 0, left: 1, right: 0 } },
  { kind: 'depthwise', h: 8, w: 8, inC: 8, outC: 8, k: 3, stride: 2, dilation: 1, depthMultiplier: 1, pads: { top: 0, bottom: 1, left: 0, right: 1 } },
  { kind: 'depthwise', h: 7, w: 10, inC: 3, outC: 6, k: 3, stride: 2, dilation: 1, depthMultiplier: 2, pads: { top: 1, bottom: 2, left: 0, right: 1 } },
  { kind: 'depthwise', h: 9, w: 8, inC: 16, outC: 16, k: 3, stride: 1, dilation: 2, depthMultiplier: 1, pads: { top: 2, bottom: 2, left: 1, right: 3 } },
  { kind: 'depthwise', h: 4, w: 5, inC: 5, outC: 5, k: 3, stride: 1, dilation: 1, depthMultiplier: 1, pads: { top: 3, bottom: 4, left: 4, right: 3 } },
];

const paddedSize = (s: Shape) => ({ inH: s.h + s.pads.top + s.pads.bottom, inW: s.w + s.pads.left + s.pads.right });

describe('PAD folded into the next convolution', () => {
  it('int8 and uint8: one dispatch, equal to the reference of the unfused graph in every arithmetic and requantization', async () => {
    const ctx = await testContext();
    const rng = mulberry32(71);
    const failures: string[] = [];
    let cases = 0;
    for (const [i, s] of SHAPES.entries()) {
      for (const dtype of ['int8', 'uint8'] as const) {
        const c: ConvCase = { ...s, ...paddedSize(s), dtype, batch: i % 4 === 3 ? 2 : 1, padding: 'VALID', activation: i % 2 ? 'RELU6' : 'NONE', bias: true };
        const graph = withPadBefore(convGraph(rng, c), s.pads, i % 2 ? 'int64' : 'int32');
        const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
        for (const requantization of REQUANTIZATION_MODES) {
          const expected = runReferenceAll(graph, [input], { requantization }).get(graph.outputs[0]!)!;
          for (const int8Arithmetic of INT8_ARITHMETICS) {
            const program = await GpuProgram.build(ctx, graph, { requantization, int8Arithmetic });
            try {
              const steps = program.stepList();
              if (steps.length !== 1 || steps[0]!.kind !== 'dispatch' || /pad/.test(steps[0]!.label)) failures.push(`${describeCase(c)}: steps ${steps.map((x) => x.label).join(', ')}`);
              const { outputs } = await program.run([input]);
              const cmp = compareTensors(outputs[0]!, expected);
              if (cmp.differing > 0) failures.push(`${describeCase(c)} pads ${JSON.stringify(s.pads)} (${requantization}, ${int8Arithmetic}): ${cmp.differing}/${cmp.elements} differ, ${cmp.firstDiff}`);
              cases++;
            } finally {
              program.dispose();
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(cases).toBe(SHAPES.length * 2 * REQUANTIZATION_MODES.length * INT8_ARITHMETICS.length);
  });

  it('float32: one dispatch, bit for bit the PAD and VALID convolution run apart, within tolerance of the reference', async () => {
    const ctx = await testContext();
    const rng = mulberry32(72);
    const failures: string[] = [];
    for (const [i, s] of SHAPES.entries()) {
      const c: FloatConvCase = { ...s, ...paddedSize(s), batch: i % 4 === 3 ? 2 : 1, padding: 'VALID', activation: i % 2 ? 'RELU6' : 'NONE', bias: true, hybrid: i % 3 === 2 };
      const conv = floatConvGraph(rng, c);
      const graph = withPadBefore(conv, s.pads);
      const input = randomFloatInput(rng, graph.tensors[graph.inputs[0]!]!);
      const reference = runReferenceAll(graph, [input]);
      const fused = await GpuProgram.build(ctx, graph);
      // The unfused computation: the conv alone over the padded image (the reference's PAD output, exact for float).
      const apart = await GpuProgram.build(ctx, conv);
      try {
        const steps = fused.stepList();
        if (steps.length !== 1 || /pad/.test(steps[0]!.label)) failures.push(`${describeFloatCase(c)}: steps ${steps.map((x) => x.label).join(', ')}`);
        const padded = conv.inputs[0]!;
        const { outputs: [got], captured } = await fused.run([input], { capture: [padded, graph.outputs[0]!] });
        // The padded tensor is no longer computed, so it is not captured; the output still is.
        if (captured.has(padded) || !captured.has(graph.outputs[0]!)) failures.push(`${describeFloatCase(c)}: captured ${[...captured.keys()]}`);
        const [unfused] = (await apart.run([reference.get(padded)!])).outputs;
        const bitsDiffer = new Uint32Array((got as Float32Array).buffer).some((b, j) => b !== new Uint32Array((unfused as Float32Array).buffer)[j]);
        if (bitsDiffer) failures.push(`${describeFloatCase(c)} pads ${JSON.stringify(s.pads)}: differs from the unfused GPU run`);
        const cmp = compareFloat(got!, reference.get(graph.outputs[0]!) as Float32Array);
        if (cmp.bad > 0) failures.push(`${describeFloatCase(c)} pads ${JSON.stringify(s.pads)}: ${cmp.bad} beyond tolerance, ${cmp.firstBad}`);
      } finally {
        fused.dispose();
        apart.dispose();
      }
    }
    expect(failures).toEqual([]);
  });
});
