// placeConcatenationInputs: a channel CONCATENATION's CONV_2D, DEPTHWISE_CONV_2D and
// FULLY_CONNECTED inputs are written in place by their producers (OutputPlacement), and the GPU
// copies only the rest. Here its decisions on the graph: which inputs, at which channel, on the
// shapes of test/helpers/concat-graphs.ts (PLACEMENT_SHAPES) and the corpus models; the GPU
// equality is test/kernels/concat-in-place.test.ts. Every input that does not qualify (a middle
// input that is no whole number of words, quantized unlike the output, read twice, a graph output,
// a pooling producer) stays with the concatenation.
import { describe, expect, it } from 'vitest';
import type { OpOf } from '../../src/model/graph.ts';
import { importTflite } from '../../src/model/import.ts';
import { GPU_LOAD_PASSES, runPasses } from '../../src/passes/pipeline.ts';
import { placeConcatenationInputs } from '../../src/passes/place-concat.ts';
import { caseOf, concatGraph, concatOf, PLACEMENT_SHAPES, placedOf } from '../helpers/concat-graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { modelBytes } from '../helpers/vectors.ts';

describe('placeConcatenationInputs', () => {
  it('places the qualifying inputs at their channel offsets, leaves the rest, and leaves its input graph alone', () => {
    for (const s of PLACEMENT_SHAPES) {
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

  it('places the corpus models\' convolution concatenations: YOLOv8n\'s three box + class heads and its C2f blocks\' SiLU convolutions, DeepLab v3\'s ASPP convolution (not its QUANTIZE input), the person-id model\'s three FULLY_CONNECTED rows', () => {
    const placedIn = (path: string) => {
      const graph = runPasses(importTflite(modelBytes(`models/corpus/${path}`), path), GPU_LOAD_PASSES, { requantization: 'xnnpack' });
      return graph.ops.filter((op) => op.type === 'CONCATENATION').flatMap((op) => {
        const placed = (op as OpOf<'CONCATENATION'>).options.placedInputs ?? [];
        return placed.length > 0 ? [`${placed.length}/${op.inputs.length}`] : [];
      });
    };
    // Its C2f blocks concatenate split halves and the SiLU convolutions after them (each fused
    // into its convolution by fuse-table, so the convolution writes the SiLU's output in place);
    // its other 9 concatenations read STRIDED_SLICE, ADD, MAX_POOL_2D, RESIZE or RESHAPE outputs.
    expect(placedIn('openmv_yolov8n_192.tflite')).toEqual(['1/3', '1/3', '1/2', '1/3', '1/2', '1/3', '2/2', '2/2', '2/2']);
    expect(placedIn('coral_deeplabv3_mnv2_pascal_quant.tflite')).toEqual(['1/2']);
    expect(placedIn('tflm_pr1341_id_model.tflite')).toEqual(['3/3']);
  });

  it('is the identity on a graph with nothing to place', () => {
    const s = PLACEMENT_SHAPES.find((x) => x.name === 'a pooling producer')!;
    const graph = concatGraph(mulberry32(2), { ...caseOf(s, 'int8'), producers: [s.producers[0]!, { kind: 'conv', channels: 8, alsoRead: 'output' }] });
    expect(placeConcatenationInputs(graph)).toBe(graph);
  });

});
