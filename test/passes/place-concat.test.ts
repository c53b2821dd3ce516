// placeConcatenationInputs: a channel CONCATENATION's CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED inputs are
// written in place by their producers (OutputPlacement), and the GPU copies only the rest. The
// decisions on the graph (which inputs, at which channel), then on the GPU: 8-bit outputs and the
// captured concatenation equal the CPU reference of the unplaced graph byte for byte in every
// int8 arithmetic and both requantizations; float32 bit for bit the unplaced GPU run, within the
// float tolerance of the reference. Every input that does not qualify (a middle input that is no
// whole number of words, quantized unlike the output, read twice, a graph output, a pooling
// producer) is copied as before and still equal.
import { describe, expect, it } from 'vitest';
import type { Graph, OpOf } from '../../src/model/graph.ts';
import { importTflite } from '../../src/model/import.ts';
import { GPU_LOAD_PASSES, runPasses } from '../../src/passes/pipeline.ts';
import { placeConcatenationInputs } from '../../src/passes/place-concat.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { runReferenceAll } from '../../src/reference/run.ts';
import { concatGraph, describeConcatCase, type ConcatCase, type ConcatDType } from '../helpers/concat-graphs.ts';
import { compareTensors } from '../helpers/compare.ts';
import { compareFloat, randomFloatInput } from '../helpers/float-graphs.ts';
import { randomInput } from '../helpers/graphs.ts';
import { INT8_ARITHMETICS, REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { modelBytes } from '../helpers/vectors.ts';

type Shape = Omit<ConcatCase, 'dtype'> & { name: string; placed8: number[]; placedFloat: number[] };

const image = { batch: 1, h: 6, w: 7, inC: 5 };

const SHAPES: Shape[] = [
  { name: 'three convolutions, the last 6 channels', ...image, producers: [{ kind: 'conv', channels: 8 }, { kind: 'conv', channels: 4 }, { kind: 'conv', channels: 6 }], reader: true, placed8: [0, 1, 2], placedFloat: [0, 1, 2] },
  { name: 'three FULLY_CONNECTED rows', batch: 3, h: 1, w: 1, inC: 10, producers: [{ kind: 'fc', channels: 8 }, { kind: 'fc', channels: 12 }, { kind: 'fc', channels: 5 }], reader: true, placed8: [0, 1, 2], placedFloat: [0, 1, 2] },
  { name: 'batch 2, 1×1 convolutions, the concatenation a graph output', batch: 2, h: 5, w: 4, inC: 7, producers: [{ kind: 'conv', channels: 4, k: 1 }, { kind: 'conv', channels: 12, k: 1 }, { kind: 'conv', channels: 3, k: 1 }], reader: false, placed8: [0, 1, 2], placedFloat: [0, 1, 2] },
  // 8-bit: input 1 is no whole number of words, so input 2 starts mid-word.
  { name: 'a middle input of 5 channels', ...image, producers: [{ kind: 'conv', channels: 8 }, { kind: 'conv', channels: 5 }, { kind: 'conv', channels: 4 }], reader: true, placed8: [0], placedFloat: [0, 1, 2] },
  { name: 'an input quantized unlike the output', ...image, producers: [{ kind: 'conv', channels: 8 }, { kind: 'conv', channels: 4, ownQuantization: true }, { kind: 'conv', channels: 4 }], reader: true, placed8: [0, 2], placedFloat: [0, 1, 2] },
  { name: 'a producer with a second reader', ...image, producers: [{ kind: 'conv', channels: 8, alsoRead: 'conv' }, { kind: 'conv', channels: 4 }], reader: true, placed8: [1], placedFloat: [1] },
  { name: 'a producer that is a graph output', ...image, producers: [{ kind: 'conv', channels: 4, alsoRead: 'output' }, { kind: 'conv', channels: 8 }], reader: true, placed8: [1], placedFloat: [1] },
  // 8-bit: the depthwise outputs start on whole vec4s of the 16-word rows (the 16-channel kernel).
  { name: 'depthwise producers on vec4 boundaries', ...image, inC: 16, producers: [{ kind: 'depthwise', channels: 16 }, { kind: 'conv', channels: 16 }, { kind: 'depthwise', channels: 16 }, { kind: 'conv', channels: 16 }], reader: true, placed8: [0, 1, 2, 3], placedFloat: [0, 1, 2, 3] },
  // 8-bit: at word 1 and 3 (the word kernel), the second with depth multiplier 2.
  { name: 'depthwise producers off vec4 boundaries', ...image, inC: 8, producers: [{ kind: 'conv', channels: 4 }, { kind: 'depthwise', channels: 8 }, { kind: 'depthwise', channels: 16, multiplier: 2 }, { kind: 'conv', channels: 6 }], reader: true, placed8: [0, 1, 2, 3], placedFloat: [0, 1, 2, 3] },
  { name: 'a pooling producer', ...image, inC: 4, producers: [{ kind: 'pool', channels: 4 }, { kind: 'conv', channels: 8 }], reader: true, placed8: [1], placedFloat: [1] },
];

const concatOf = (g: Graph) => g.ops.find((op) => op.type === 'CONCATENATION') as OpOf<'CONCATENATION'>;
const placedOf = (s: Shape, dtype: ConcatDType) => (dtype === 'float32' ? s.placedFloat : s.placed8);
const isConcatStep = (label: string) => /concatenation#|float concat#/.test(label);

function caseOf(s: Shape, dtype: ConcatDType): ConcatCase {
  return { dtype, batch: s.batch, h: s.h, w: s.w, inC: s.inC, producers: s.producers, reader: s.reader };
}

describe('placeConcatenationInputs', () => {
  it('places the qualifying inputs at their channel offsets, leaves the rest, and leaves its input graph alone', () => {
    for (const s of SHAPES) {
      for (const dtype of ['int8', 'uint8', 'float32'] as const) {
        const graph = concatGraph(mulberry32(1), caseOf(s, dtype));
        const before = structuredClone(graph);
        const placed = placeConcatenationInputs(graph);
        const concat = concatOf(placed);
        const want = placedOf(s, dtype);
        const label = `${s.name} ${dtype}`;
        expect(concat.options.placedInputs, label).toEqual(want.length > 0 ? want : undefined);
        expect(concat.index, label).toBe(concatOf(graph).index);
        let offset = 0;
        concat.inputs.forEach((id, k) => {
          const producer = placed.ops.find((op) => op.outputs.includes(id))!;
          const placement = producer.type === 'CONV_2D' || producer.type === 'DEPTHWISE_CONV_2D' || producer.type === 'FULLY_CONNECTED' ? producer.options.placement : undefined;
          expect(placement, `${label} input ${k}`).toEqual(want.includes(k) ? { into: concat.outputs[0], channelOffset: offset } : undefined);
          offset += graph.tensors[id]!.shape.at(-1)!;
        });
        expect(placed.tensors).toBe(graph.tensors);
        expect(graph).toEqual(before);
      }
    }
  });

  it('places the corpus models\' convolution concatenations: YOLOv8n\'s three box + class heads, DeepLab v3\'s ASPP convolution (not its QUANTIZE input), the person-id model\'s three FULLY_CONNECTED rows', () => {
    const placedIn = (path: string) => {
      const graph = runPasses(importTflite(modelBytes(`models/corpus/${path}`), path), GPU_LOAD_PASSES, { requantization: 'xnnpack' });
      return graph.ops.filter((op) => op.type === 'CONCATENATION').flatMap((op) => {
        const placed = (op as OpOf<'CONCATENATION'>).options.placedInputs ?? [];
        return placed.length > 0 ? [`${placed.length}/${op.inputs.length}`] : [];
      });
    };
    // Its other 15 concatenations read STRIDED_SLICE, MUL, ADD, MAX_POOL_2D, RESIZE or RESHAPE outputs.
    expect(placedIn('openmv_yolov8n_192.tflite')).toEqual(['2/2', '2/2', '2/2']);
    expect(placedIn('coral_deeplabv3_mnv2_pascal_quant.tflite')).toEqual(['1/2']);
    expect(placedIn('tflm_pr1341_id_model.tflite')).toEqual(['3/3']);
  });

  it('is the identity on a graph with nothing to place', () => {
    const s = SHAPES.find((x) => x.name === 'a pooling producer')!;
    const graph = concatGraph(mulberry32(2), { ...caseOf(s, 'int8'), producers: [s.producers[0]!, { kind: 'conv', channels: 8, alsoRead: 'output' }] });
    expect(placeConcatenationInputs(graph)).toBe(graph);
  });

  it('8-bit on the GPU: the placed inputs copied by no dispatch, sharing the output buffer; outputs and the concatenation equal the reference in every arithmetic and requantization', async () => {
    const ctx = await testContext();
    const failures: string[] = [];
    let cases = 0;
    for (const [i, s] of SHAPES.entries()) {
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
            const program = await GpuProgram.build(ctx, graph, { requantization, int8Arithmetic });
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
    expect(cases).toBe(SHAPES.length * 2 * REQUANTIZATION_MODES.length * INT8_ARITHMETICS.length);
  });

  it('float32 on the GPU: bit for bit the run with nothing placed, within tolerance of the reference', async () => {
    const ctx = await testContext();
    const failures: string[] = [];
    for (const [i, s] of SHAPES.entries()) {
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
