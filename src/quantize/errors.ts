import { OctetError } from '../errors.ts';
/**
 * A float model that cannot be quantized, or calibration data that does not fit it. The message
 * names the problem: which sample, which input, which operator.
 */
export class QuantizeError extends OctetError {
  override name = 'QuantizeError';
  readonly code = 'QUANTIZE';
}
