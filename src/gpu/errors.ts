// Typed GPU failures. Every WebGPU failure Octet can observe surfaces as one of these, carrying
// the implementation's own message, so callers never see a hang or a bare DOMException.

export class NoWebGPUError extends Error {
  override name = 'NoWebGPUError';
}

/** A validation or out-of-memory error reported by an error scope, with the WebGPU message. */
export class GpuValidationError extends Error {
  override name = 'GpuValidationError';
  constructor(
    readonly what: string,
    readonly gpuMessage: string,
  ) {
    super(`${what}: ${gpuMessage}`);
  }
}

/** The device was lost (destroyed, driver reset, out of memory). Runs in flight reject with it. */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
  constructor(
    readonly reason: string,
    readonly gpuMessage: string,
  ) {
    super(`GPU device lost (${reason}): ${gpuMessage}`);
  }
}
