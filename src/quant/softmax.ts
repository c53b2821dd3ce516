// The float32 lookup table of TFLite's optimized 8-bit SOFTMAX, shared by the CPU reference and
// the GPU lowering.

/**
 * PopulateSoftmaxLookupTable (lite/kernels/internal/optimized/optimized_ops.h): table[255 − d] =
 * expf(−scale·β·d) for d = 0..255, in float32, so entry 255 − (max − x) is exp(β·scale·(x − max)).
 * Shared with the GPU lowering, which uploads it.
 */
export function softmaxTable(inputScale: number, beta: number): Float32Array {
  const f = Math.fround;
  const scale = f(-f(inputScale) * f(beta));
  const table = new Float32Array(256);
  for (let d = 0; d <= 255; d++) table[255 - d] = Math.exp(f(scale * d));
  return table;
}
