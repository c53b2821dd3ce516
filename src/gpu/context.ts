// A GPU context: one adapter, one device, the capability report, and the error plumbing that
// turns WebGPU's asynchronous failures into typed errors. Shared by browser and Node entries.
import { describeAdapter, type CapabilityReport, COMPUTE_LIMITS } from './capabilities.ts';
import { DeviceLostError, GpuValidationError, NoWebGPUError } from './errors.ts';

export interface GpuContextOptions {
  /**
   * Use `dot4I8Packed` where the adapter has it ('auto'), or force the unpacking fallback ('off'),
   * which tests use to cover both kernel variants on one adapter.
   */
  dot4?: 'auto' | 'off';
  powerPreference?: GPUPowerPreference;
}

/** Optional features Octet uses when present; each enables one fast path or measurement. */
const OPTIONAL_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'];

export class GpuContext {
  readonly useDot4: boolean;
  private lostInfo: { reason: string; message: string } | undefined;
  private readonly lostListeners = new Set<(e: DeviceLostError) => void>();

  constructor(
    readonly adapter: GPUAdapter,
    readonly device: GPUDevice,
    readonly caps: CapabilityReport,
    options: GpuContextOptions = {},
  ) {
    this.useDot4 = caps.paths.dot4I8Packed && options.dot4 !== 'off';
    void device.lost.then((info) => {
      this.lostInfo = { reason: info.reason ?? 'unknown', message: info.message ?? '' };
      const err = new DeviceLostError(this.lostInfo.reason, this.lostInfo.message);
      for (const listener of this.lostListeners) listener(err);
    });
  }

  get isLost(): boolean {
    return this.lostInfo !== undefined;
  }

  get hasTimestamps(): boolean {
    return this.device.features.has('timestamp-query');
  }

  /** Throws DeviceLostError if the device is gone; cheap, called before every submission. */
  assertAlive(): void {
    if (this.lostInfo) throw new DeviceLostError(this.lostInfo.reason, this.lostInfo.message);
  }

  /** Calls `listener` once if the device is lost; returns an unsubscribe function. */
  onLost(listener: (e: DeviceLostError) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /**
   * Runs `build` inside validation and out-of-memory error scopes and throws a GpuValidationError
   * naming `what` if either caught something: creation errors surface where they happen.
   */
  async checked<T>(what: string, build: () => T): Promise<T> {
    this.assertAlive();
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    let value: T;
    try {
      value = build();
    } finally {
      const validation = await this.device.popErrorScope();
      const oom = await this.device.popErrorScope();
      const err = validation ?? oom;
      if (err) throw new GpuValidationError(what, err.message);
    }
    return value;
  }

  destroy(): void {
    this.device.destroy();
  }
}

/** Requests a device with the adapter's real limits for compute and every optional feature it has. */
export async function createContext(
  adapter: GPUAdapter,
  wgslLanguageFeatures: Iterable<string> | undefined,
  backend: string,
  options: GpuContextOptions = {},
): Promise<GpuContext> {
  const caps = describeAdapter(adapter, wgslLanguageFeatures, backend);
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  const adapterLimits = adapter.limits as unknown as Record<string, number | undefined>;
  for (const name of COMPUTE_LIMITS) {
    // Subgroup sizes and alignments are reported, not requested.
    if (name.startsWith('min') || name.endsWith('SubgroupSize')) continue;
    const value = adapterLimits[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'octet' });
  } catch (e) {
    throw new NoWebGPUError(`the adapter refused a device: ${(e as Error).message}`);
  }
  return new GpuContext(adapter, device, caps, options);
}

/** Browser (or any environment with a `GPU` object): acquires a context from `gpu`. */
export async function requestGpuContext(
  gpu: GPU | undefined = (globalThis.navigator as Navigator | undefined)?.gpu,
  options: GpuContextOptions = {},
): Promise<GpuContext> {
  if (!gpu) {
    throw new NoWebGPUError(
      'WebGPU is not available in this browser: use a recent Chrome or Edge (or Firefox/Safari with WebGPU enabled), ' +
        'served over http://localhost or https.',
    );
  }
  const adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined);
  if (!adapter) throw new NoWebGPUError('WebGPU is present but no GPU adapter was found (blocklisted GPU or disabled hardware acceleration).');
  return createContext(adapter, gpu.wgslLanguageFeatures, 'browser', options);
}
