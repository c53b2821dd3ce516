// TFLite-exact quantization math: fixed-point requantization, activation clamps, tensor conversions.
export {
  quantizeMultiplier,
  saturatingRoundingDoublingHighMul,
  roundingDivideByPOT,
  multiplyByQuantizedMultiplier,
} from './fixedpoint.ts';
export { activationRangeQuantized, activationRangeFloat } from './activation.ts';
export { quantizeTensor, dequantizeTensor, packInt8x4, uint8ToInt8, constantData, type ConstantArray } from './tensor.ts';
export { DEFAULT_REQUANTIZATION, type RequantizationMode } from './requantization.ts';
