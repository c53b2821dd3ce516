// What an adapter can do, in the terms Octet's kernels care about. One report serves the CLI's
// `doctor`, the demo's adapter panel, kernel selection and the benchmark reports.

export interface CapabilityReport {
  adapter: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    isFallbackAdapter: boolean;
    /** Which route found it: 'browser', 'dawn-default', 'dawn-swiftshader', 'dawn-llvmpipe-gles'. */
    backend: string;
    /**
     * The subgroup sizes the adapter reports (GPUAdapterInfo.subgroupMinSize/subgroupMaxSize),
     * where it does. Recorded, not used: no kernel decision depends on them yet (the workgroup
     * conv kernel's bank layout holds for any; see prefersWorkgroupTiles).
     */
    subgroupSizes?: { min: number; max: number };
  };
  features: string[];
  wgslLanguageFeatures: string[];
  /** The fast paths this adapter allows, each with the reason it is on or off. */
  paths: {
    dot4I8Packed: boolean;
    timestampQuery: boolean;
    subgroups: boolean;
    shaderF16: boolean;
    /**
     * The adapter runs shaders on the CPU (SwiftShader, llvmpipe, a browser's fallback adapter):
     * dot4I8Packed is a polyfill there and an f32 multiply-add costs less than an i32 multiply,
     * which decides some kernel variants (see preferredInt8Arithmetic in src/kernels/lowering.ts).
     */
    softwareAdapter: boolean;
  };
  limits: Record<string, number>;
}

/** Limits that bound Octet's kernels and buffers. */
export const COMPUTE_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxBindGroups',
  'maxBindingsPerBindGroup',
  'minStorageBufferOffsetAlignment',
  'minUniformBufferOffsetAlignment',
  'minSubgroupSize',
  'maxSubgroupSize',
] as const;

/** SwiftShader by route or by name (Chromium's fallback adapter reports architecture 'swiftshader'). */
export function isSwiftShader(adapter: CapabilityReport['adapter']): boolean {
  if (adapter.backend === 'dawn-swiftshader') return true;
  return /swiftshader/.test(`${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description}`.toLowerCase());
}

/** SwiftShader or llvmpipe by route or by name (Chromium reports vendor 'google', architecture 'swiftshader'), or a fallback adapter. */
export function isSoftwareAdapter(info: GPUAdapterInfo | undefined, backend: string): boolean {
  if (backend === 'dawn-swiftshader' || backend.startsWith('dawn-llvmpipe')) return true;
  if ((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter) return true;
  const names = `${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.device ?? ''} ${info?.description ?? ''}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|softpipe/.test(names);
}

export function describeAdapter(
  adapter: GPUAdapter,
  wgslLanguageFeatures: Iterable<string> | undefined,
  backend: string,
): CapabilityReport {
  const info = adapter.info;
  const subgroup = info as { subgroupMinSize?: number; subgroupMaxSize?: number } | undefined;
  const subgroupSizes = typeof subgroup?.subgroupMinSize === 'number' && typeof subgroup.subgroupMaxSize === 'number' && subgroup.subgroupMaxSize > 0
    ? { subgroupSizes: { min: subgroup.subgroupMinSize, max: subgroup.subgroupMaxSize } }
    : {};
  const features = [...adapter.features].map(String).sort();
  const wgsl = [...(wgslLanguageFeatures ?? [])].map(String).sort();
  const limits: Record<string, number> = {};
  const rawLimits = adapter.limits as unknown as Record<string, number | undefined>;
  for (const name of COMPUTE_LIMITS) {
    const value = rawLimits[name];
    if (typeof value === 'number') limits[name] = value;
  }
  return {
    adapter: {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      device: info?.device ?? '',
      description: info?.description ?? '',
      isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter),
      backend,
      ...subgroupSizes,
    },
    features,
    wgslLanguageFeatures: wgsl,
    paths: {
      dot4I8Packed: wgsl.includes('packed_4x8_integer_dot_product'),
      timestampQuery: features.includes('timestamp-query'),
      subgroups: features.includes('subgroups'),
      shaderF16: features.includes('shader-f16'),
      softwareAdapter: isSoftwareAdapter(info, backend),
    },
    limits,
  };
}

export function formatCapabilityReport(r: CapabilityReport): string {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  const name = [r.adapter.vendor, r.adapter.architecture, r.adapter.description].filter(Boolean).join(' / ');
  const lines = [
    `adapter      ${name || '(no description)'}${r.adapter.isFallbackAdapter ? '  [software fallback]' : ''}`,
    `found via    ${r.adapter.backend}`,
    `dot4I8Packed ${yes(r.paths.dot4I8Packed)}   (packed_4x8_integer_dot_product; else the unpacking fallback kernel)`,
    `timestamps   ${yes(r.paths.timestampQuery)}   (per-layer GPU time; else wall time)`,
    `subgroups    ${yes(r.paths.subgroups)}${r.adapter.subgroupSizes ? `   (sizes ${r.adapter.subgroupSizes.min}-${r.adapter.subgroupSizes.max})` : ''}`,
    `shader-f16   ${yes(r.paths.shaderF16)}`,
    `software     ${yes(r.paths.softwareAdapter)}   (shaders run on the CPU: dot4 emulated; on SwiftShader int8 convolutions accumulate exactly in f32)`,
    'limits',
    ...Object.entries(r.limits).map(([k, v]) => `  ${k.padEnd(36)} ${v}`),
  ];
  return lines.join('\n');
}
