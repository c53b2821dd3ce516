// Import and write-back of RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, ARG_MAX, ARG_MIN and CAST:
// options survive a round trip through the writer; hostile sizes and axes are refused by name at
// import, before anything is allocated.
import { expect, test } from 'vitest';
import type { Graph } from '../../src/model/graph.ts';
import { ModelFormatError } from '../../src/model/errors.ts';
import { importTflite } from '../../src/model/import.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { argGraph, castGraph, resizeGraph } from '../helpers/resize-graphs.ts';

const roundTrip = (g: Graph): Graph => importTflite(exportTflite(g));

test('every option round-trips through the writer', () => {
  for (const type of ['RESIZE_BILINEAR', 'RESIZE_NEAREST_NEIGHBOR'] as const) {
    for (const flags of [{}, { alignCorners: true }, { halfPixelCenters: true }]) {
      const g = resizeGraph({ type, dtype: 'int8', inShape: [1, 3, 4, 5], size: [7, 2], ...flags });
      expect(roundTrip(g).ops.map((op) => [op.type, op.options])).toEqual(g.ops.map((op) => [op.type, op.options]));
    }
  }
  const nn = resizeGraph({ type: 'RESIZE_NEAREST_NEIGHBOR', dtype: 'uint8', inShape: [1, 3, 4, 5], size: [7, 2], alignCorners: true, halfPixelCenters: true });
  expect(roundTrip(nn).ops[0]!.options).toEqual({ alignCorners: true, halfPixelCenters: true });
  for (const type of ['ARG_MAX', 'ARG_MIN'] as const) {
    for (const outputType of ['int32', 'int64'] as const) {
      const g = argGraph({ type, dtype: 'float32', inShape: [2, 5], axis: 1, outputType });
      expect(roundTrip(g).ops[0]).toMatchObject({ type, options: { outputType } });
    }
  }
  expect(roundTrip(castGraph('uint8', 'float32', [2, 3])).ops[0]).toMatchObject({ type: 'CAST', options: {} });
});

/** A resize graph whose size constant holds `size` while its output keeps a plausible shape. */
function withSize(size: number[], outShape = [1, 4, 4, 2]): Graph {
  const g = resizeGraph({ type: 'RESIZE_BILINEAR', dtype: 'int8', inShape: [1, 2, 2, 2], size: [4, 4] });
  const tensors = g.tensors.map((t) => ({ ...t }));
  tensors[1] = { ...tensors[1]!, shape: [size.length], data: new Uint8Array(Int32Array.from(size).buffer) };
  tensors[2] = { ...tensors[2]!, shape: outShape };
  return { ...g, tensors };
}

test('zero, negative, absurd or mismatched resize sizes are refused by name', () => {
  const cases: Array<[Graph, RegExp]> = [
    [withSize([0, 4], [1, 0, 4, 2]), /new height 0 is outside/],
    [withSize([4, -3], [1, 4, 3, 2]), /new width -3 is outside/],
    [withSize([2 ** 24, 1], [1, 1, 1, 2]), /new height 16777216 is outside/],
    [withSize([4, 4, 4]), /size 'size' has shape \[3\], expected \[2\]/],
    [withSize([5, 4]), /output 'output' has shape \[1,4,4,2\] but the size \[5, 4\] makes \[1,5,4,2\]/],
  ];
  for (const [g, message] of cases) {
    expect(() => importTflite(exportTflite(g))).toThrow(ModelFormatError);
    expect(() => importTflite(exportTflite(g))).toThrow(message);
  }
});

test('RESIZE_BILINEAR with align_corners and half_pixel_centers is refused (as TFLite refuses it)', () => {
  const g = resizeGraph({ type: 'RESIZE_BILINEAR', dtype: 'int8', inShape: [1, 2, 2, 2], size: [4, 4], alignCorners: true, halfPixelCenters: true });
  expect(() => roundTrip(g)).toThrow(/align_corners and half_pixel_centers are both set/);
});

test('ARG_MAX with an axis outside the rank, an empty axis or a mismatched output type is refused', () => {
  const outside = argGraph({ type: 'ARG_MAX', dtype: 'int8', inShape: [2, 5], axis: 1, outputType: 'int32' });
  outside.tensors[1] = { ...outside.tensors[1]!, data: new Uint8Array(Int32Array.of(2).buffer) };
  expect(() => roundTrip(outside)).toThrow(/axis 2 is outside the input's rank 2/);
  const empty = argGraph({ type: 'ARG_MIN', dtype: 'float32', inShape: [2, 0], axis: 1, outputType: 'int32' });
  expect(() => roundTrip(empty)).toThrow(/is empty: there is no index to return/);
  const mismatched = argGraph({ type: 'ARG_MAX', dtype: 'int8', inShape: [2, 5], axis: 1, outputType: 'int64' });
  mismatched.tensors[2] = { ...mismatched.tensors[2]!, dtype: 'int32' };
  expect(() => roundTrip(mismatched)).toThrow(/output 'output' is int32 but output_type says int64/);
});

test('CAST between different shapes is refused', () => {
  const g = castGraph('int8', 'int32', [2, 3]);
  g.tensors[1] = { ...g.tensors[1]!, shape: [3, 2] };
  expect(() => roundTrip(g)).toThrow(/output 'output' has shape \[3,2\] but the input has \[2,3\]/);
});
