// Post-training int8 quantization of float models: calibrate on sample inputs, then quantize
// with the TFLite converter's conventions. The result is a Graph (and .tflite bytes) that the
// int8 path runs like any converter-made model.
export { QuantizeError } from './errors.ts';
export { calibrate, type CalibrationSample, type TensorRange } from './calibrate.ts';
export { activationParams, quantizeWeights, quantizeBias } from './params.ts';
export {
  quantizeFloatModel,
  quantizeFloatModelToTflite,
  quantizeWithRanges,
  type QuantizeOptions,
  type QuantizedModel,
  type TensorRangeReport,
  type ParamsSource,
} from './quantize-graph.ts';
