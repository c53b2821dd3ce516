// The requantization modes, and the one default the reference, the GPU program, the model API and
// the CLI share (a mismatch would make two paths of the same model differ by an LSB).

/**
 * How CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and ADD turn int32 accumulators back into 8 bits.
 *  - 'tflite': TFLite's reference kernels (gemmlowp double rounding: QuantizeMultiplier +
 *    MultiplyByQuantizedMultiplier; ADD with left_shift 20). The numerics contract in DESIGN.md.
 *  - 'xnnpack': what TFLite's default XNNPACK delegate computes, which is what produced the
 *    shared reference vectors: float32 scale, accumulator × scale in float32, clamp, round half
 *    to even; ADD with XNNPACK's 20-bit multipliers and one rounding shift.
 * The two differ by one LSB on some elements of a layer, and that grows through a network.
 * 'xnnpack' is the TFLite runtime as a whole: ops the delegate does not take follow TFLite's
 * builtin kernels (8-bit SOFTMAX's lookup table, BATCH_MATMUL's ruy rounding), and so does every
 * op of a graph the delegate refuses (see ReferenceOptions.xnnpackDelegate).
 */
export type RequantizationMode = 'tflite' | 'xnnpack';

/** What every entry point uses when none is asked for: the TFLite runtime as users run it. */
export const DEFAULT_REQUANTIZATION: RequantizationMode = 'xnnpack';
