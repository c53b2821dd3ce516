// Typed GPU failures. Every WebGPU failure Octet can observe surfaces as one of these, carrying
// the implementation's own message, so callers never see a hang or a bare DOMException.
import { OctetError } from '../errors.ts';

export class NoWebGPUError extends OctetError {
  override name = 'NoWebGPUError';
  readonly code = 'NO_WEBGPU';
}

/** A validation or out-of-memory error reported by an error scope, with the WebGPU message. */
export class GpuValidationError extends OctetError {
  override name = 'GpuValidationError';
  readonly code = 'GPU_VALIDATION';
  constructor(
    readonly what: string,
    readonly gpuMessage: string,
  ) {
    super(`${what}: ${gpuMessage}`);
  }
}

/** The device was lost (destroyed, driver reset, out of memory). Runs in flight reject with it. */
export class DeviceLostError extends OctetError {
  override name = 'DeviceLostError';
  readonly code = 'DEVICE_LOST';
  constructor(
    readonly reason: string,
    readonly gpuMessage: string,
  ) {
    super(`GPU device lost (${reason}): ${gpuMessage}`);
  }
}
