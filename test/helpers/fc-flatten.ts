// micro_speech's FULLY_CONNECTED, with 5 channels where it has 8: an int8 [1, 25, 20, 5] activation
// into weights [4, 2500], the shape canonicalizeForGpu flattens with an inserted RESHAPE (the
// packed layout pads the innermost dimension, 5 here, not the FC's depth, 2500, so the RESHAPE is a
// gather on the GPU; with micro_speech's 8 channels both are whole words and it is a buffer
// alias). A RELU in front gives the FC operator index 1, so a fresh index (2 and up) and the FC's
// own (1) differ.
import type { Graph } from '../../src/model/graph.ts';
import { GraphBuilder, quant, randomBytes } from './graphs.ts';
import { randInt } from './rng.ts';

export function flatteningFcGraph(rng: () => number): { graph: Graph; fcIndex: number } {
  const b = new GraphBuilder();
  const q = quant(0.05, -3);
  const x = b.tensor('x', [1, 25, 20, 5], 'int8', q);
  const relu = b.tensor('relu', [1, 25, 20, 5], 'int8', q);
  b.op({ type: 'RELU', inputs: [x], outputs: [relu], options: {} });
  const w = b.tensor('weights', [4, 2500], 'int8', quant([0.004, 0.003, 0.005, 0.002], [0, 0, 0, 0]), randomBytes(rng, 10000, 'int8'));
  const bias = b.tensor('bias', [4], 'int32', quant([0.0002, 0.00015, 0.00025, 0.0001], [0, 0, 0, 0]), Int32Array.from({ length: 4 }, () => randInt(rng, -3000, 3000)));
  const y = b.tensor('y', [1, 4], 'int8', quant(0.5, 2));
  b.op({ type: 'FULLY_CONNECTED', inputs: [relu, w, bias], outputs: [y], options: { activation: 'NONE', keepNumDims: false } });
  return { graph: b.build([x], [y], 'fc-flatten'), fcIndex: 1 };
}
