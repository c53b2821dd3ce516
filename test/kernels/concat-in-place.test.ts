// A channel CONCATENATION whose CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED inputs are written
// in place (src/passes/place-concat.ts) runs without their copies, each placed input in the
// concatenation's buffer, and equals the CPU reference of the unplaced graph: 8-bit outputs and the
// captured concatenation byte for byte in every int8 arithmetic and both requantizations, float32
// bit for bit the same graph run with nothing placed and within the float tolerance of the
// reference. The shapes (PLACEMENT_SHAPES) cover the 16-channel and word depthwise kernels, a last
// input whose padding lanes are the output's, and inputs that stay copied (the pass's decisions are
// test/passes/place-concat.test.ts).
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/model/graph.ts';
import { GPU_LOAD_PASSES, runPasses } from '../../src/passes/pipeline.ts';
import { placeConcatenationInputs } from '../../src/passes/place-concat.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { runReferenceAll } from '../../src/reference/run.ts';
import { caseOf, concatGraph, concatOf, describeConcatCase, GEMV_TILES, isConcatStep, PLACEMENT_SHAPES, placedOf } from '../helpers/concat-graphs.ts';
import { compareTensors, gpuVersusReference } from '../helpers/compare.ts';
import { compareFloat, randomFloatInput } from '../helpers/float-graphs.ts';
import { GraphBuilder, quant, randomInput } from '../helpers/graphs.ts';
import { INT8_ARITHMETICS, REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { mulberry32, randInt } from '../helpers/rng.ts';

describe('CONCATENATION written in place by its producers', () => {
  it('8-bit on the GPU: the placed inputs copied by no dispatch, sharing the output buffer; outputs and the concatenation equal the reference in every arithmetic and requantization', async () => {
    const ctx = await testContext();
    const failures: string[] = [];
    let cases = 0;
    for (const [i, s] of PLACEMENT_SHAPES.entries()) {
      for (const dtype of ['int8', 'uint8'] as const) {
        const rng = mulberry32(100 + i);
        const graph = concatGraph(rng, caseOf(s, dtype));
        const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
        const concat = concatOf(graph);
        const concatId = concat.outputs[0]!;
        const placedIds = placedOf(s, dtype).map((k) => concat.inputs[k]!);
        const name = `${s.name}: ${describeConcatCase(caseOf(s, dtype))}`;
        for (const requantization of REQUANTIZATION_MODES) {
          const expected = runReferenceAll(graph, [input], { requantization });
          for (const int8Arithmetic of INT8_ARITHMETICS) {
            const program = await GpuProgram.build(ctx, graph, { requantization, int8Arithmetic, ...(s.name.includes('GEMV') ? { tiles: GEMV_TILES } : {}) });
            try {
              const copies = program.stepList().filter((x) => isConcatStep(x.label)).length;
              if (copies !== concat.inputs.length - placedIds.length) failures.push(`${name}: ${copies} concatenation steps`);
              const slot = program.plan.slotOf.get(concatId);
              if (placedIds.some((id) => program.plan.slotOf.get(id) !== slot)) failures.push(`${name}: a placed input outside the concatenation's buffer`);
              const { outputs, captured } = await program.run([input], { capture: [concatId, ...placedIds] });
              if (placedIds.some((id) => captured.has(id))) failures.push(`${name}: a placed input was captured`);
              const all = [...graph.outputs.map((id, j) => [id, outputs[j]!] as const), [concatId, captured.get(concatId)!] as const];
              for (const [id, got] of all) {
                const cmp = compareTensors(got, expected.get(id)!);
                if (cmp.differing > 0) failures.push(`${name} (${requantization}, ${int8Arithmetic}) '${graph.tensors[id]!.name}': ${cmp.differing}/${cmp.elements} differ, ${cmp.firstDiff}`);
              }
              cases++;
            } finally {
              program.dispose();
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(cases).toBe(PLACEMENT_SHAPES.length * 2 * REQUANTIZATION_MODES.length * INT8_ARITHMETICS.length);
  });

  it('float32 on the GPU: bit for bit the run with nothing placed, within tolerance of the reference', async () => {
    const ctx = await testContext();
    const failures: string[] = [];
    for (const [i, s] of PLACEMENT_SHAPES.entries()) {
      const rng = mulberry32(200 + i);
      const c = caseOf(s, 'float32');
      const graph = concatGraph(rng, c);
      const input = randomFloatInput(rng, graph.tensors[graph.inputs[0]!]!);
      const concat = concatOf(graph);
      const placedIds = s.placedFloat.map((k) => concat.inputs[k]!);
      // The same graph with every producer output a graph output too: nothing qualifies, every input is copied.
      const unplaced: Graph = { ...graph, outputs: [...graph.outputs, ...concat.inputs] };
      expect(concatOf(placeConcatenationInputs(unplaced)).options.placedInputs).toBeUndefined();
      const name = `${s.name}: ${describeConcatCase(c)}`;
      const expected = runReferenceAll(graph, [input]);
      const placed = await GpuProgram.build(ctx, graph);
      const apart = await GpuProgram.build(ctx, unplaced);
      try {
        const copies = placed.stepList().filter((x) => isConcatStep(x.label)).length;
        if (copies !== concat.inputs.length - placedIds.length) failures.push(`${name}: ${copies} concatenation steps`);
        const { outputs, captured } = await placed.run([input], { capture: [concat.outputs[0]!] });
        const unplacedOutputs = (await apart.run([input])).outputs;
        graph.outputs.forEach((id, j) => {
          const got = outputs[j] as Float32Array;
          const bitsDiffer = new Uint32Array(got.buffer).some((b, e) => b !== new Uint32Array((unplacedOutputs[j] as Float32Array).buffer)[e]);
          if (bitsDiffer) failures.push(`${name} '${graph.tensors[id]!.name}': differs from the run with nothing placed`);
          const cmp = compareFloat(got, expected.get(id) as Float32Array);
          if (cmp.bad > 0) failures.push(`${name} '${graph.tensors[id]!.name}': ${cmp.bad} beyond tolerance, ${cmp.firstBad}`);
        });
        const concatCmp = compareFloat(captured.get(concat.outputs[0]!)!, expected.get(concat.outputs[0]!) as Float32Array);
        if (concatCmp.bad > 0) failures.push(`${name} concatenation: ${concatCmp.bad} beyond tolerance, ${concatCmp.firstBad}`);
      } finally {
        placed.dispose();
        apart.dispose();
      }
    }
    expect(failures).toEqual([]);
  });
});

// A residual ADD fused into the convolution that feeds it (src/passes/fuse-add.ts, which runs
// first) writes the ADD's output: that input of the concatenation stays copied, the plain
// convolution beside it is placed, and the whole equals the reference.
describe('CONCATENATION of a fused convolution + ADD and a plain convolution', () => {
  it('places only the plain convolution; equal to the reference in every arithmetic', async () => {
    const rng = mulberry32(77);
    const b = new GraphBuilder();
    const q = quant(0.05, 2);
    const input = b.tensor('input', [1, 4, 5, 8], 'int8', q);
    const conv = (name: string) => {
      const w = b.tensor(`${name} weights`, [8, 3, 3, 8], 'int8', quant(new Array(8).fill(0.01), new Array(8).fill(0)), Int8Array.from({ length: 8 * 72 }, () => randInt(rng, -127, 127)));
      const bias = b.tensor(`${name} bias`, [8], 'int32', quant(new Array(8).fill(0.0005), new Array(8).fill(0)), Int32Array.from({ length: 8 }, () => randInt(rng, -3000, 3000)));
      const out = b.tensor(name, [1, 4, 5, 8], 'int8', quant(0.3, -1));
      b.op({ type: 'CONV_2D', inputs: [input, w, bias], outputs: [out], options: { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' } });
      return out;
    };
    const fused = conv('fused conv');
    const sum = b.tensor('sum', [1, 4, 5, 8], 'int8', quant(0.3, -1));
    b.op({ type: 'ADD', inputs: [fused, input], outputs: [sum], options: { activation: 'NONE' } });
    const plain = conv('plain conv');
    const output = b.tensor('concatenation', [1, 4, 5, 16], 'int8', quant(0.3, -1));
    b.op({ type: 'CONCATENATION', inputs: [sum, plain], outputs: [output], options: { axis: 3, activation: 'NONE' } });
    const graph = b.build([input], [output], 'fused conv + add and a conv, concatenated');
    const gpuGraph = runPasses(graph, GPU_LOAD_PASSES, { requantization: 'xnnpack' });
    expect(gpuGraph.ops.map((op) => op.type)).toEqual(['CONV_2D', 'CONV_2D', 'CONCATENATION']);
    expect(concatOf(gpuGraph).options.placedInputs).toEqual([1]);
    const ctx = await testContext();
    const x = randomInput(rng, graph.tensors[input]!);
    for (const requantization of REQUANTIZATION_MODES) {
      for (const int8Arithmetic of INT8_ARITHMETICS) {
        const [cmp] = await gpuVersusReference(ctx, graph, [x], requantization, { int8Arithmetic });
        expect(cmp, `${requantization}, ${int8Arithmetic}: ${cmp!.differing} differ, ${cmp!.firstDiff}`).toMatchObject({ differing: 0 });
      }
    }
  });
});
