// The quantizer has no rule for TFLite_Detection_PostProcess yet: a float SSD graph is refused
// before calibration, naming the op, rather than quantized wrongly.
import { expect, it } from 'vitest';
import { QuantizeError } from '../../src/quantize/errors.ts';
import { quantizeFloatModel } from '../../src/quantize/quantize-graph.ts';
import { detectionGraph } from '../helpers/detection-graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

it('refuses a float graph ending in TFLite_Detection_PostProcess, naming the op', () => {
  const { graph, inputs } = detectionGraph(mulberry32(1), { name: 'ssd', boxes: 'float32', classes: 'float32', numBoxes: 8, numClasses: 2, background: true, options: {} });
  const run = () => quantizeFloatModel(graph, [inputs as Float32Array[]]);
  expect(run).toThrow(QuantizeError);
  expect(run).toThrow(/operator 0 is TFLite_Detection_PostProcess, which the quantizer does not handle yet/);
});
