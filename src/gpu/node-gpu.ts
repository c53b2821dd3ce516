// Node: WebGPU through Dawn (the `webgpu` npm package). A real GPU first; on a machine without
// one, Chromium's SwiftShader Vulkan driver, then Mesa's llvmpipe through OpenGL ES at the
// compatibility feature level. Dawn rejects lavapipe, so it is never tried.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type GpuContext, type GpuContextOptions } from './context.ts';
import { NoWebGPUError } from './errors.ts';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export type NodeBackend = 'auto' | 'default' | 'swiftshader' | 'llvmpipe';

export interface NodeGpuOptions extends GpuContextOptions {
  /** Which route to take; OCTET_BACKEND overrides 'auto'. */
  backend?: NodeBackend;
}

type DawnModule = { create(flags: string[]): GPU; globals: Record<string, unknown> };
let dawn: DawnModule | undefined;
// Every Dawn instance stays referenced for the life of the process: when the garbage collector
// destroyed an instance (a probe that found no adapter, say), Dawn aborted the process
// (std::system_error from a joined thread) at a random later point.
const instances: GPU[] = [];

async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  try {
    dawn = (await import('webgpu')) as unknown as DawnModule;
  } catch (e) {
    throw new NoWebGPUError(`the 'webgpu' package (Dawn for Node) failed to load: ${(e as Error).message}. In Node, octet needs it beside it: npm install webgpu`);
  }
  // Dawn's GPU* constants (GPUBufferUsage, GPUMapMode...) are what WebGPU code expects as globals.
  for (const [k, v] of Object.entries(dawn.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  return dawn;
}

interface Route {
  name: string;
  /** False when the route cannot work on this machine; `skipped` then says why. */
  prepare(): boolean;
  skipped?: string;
  flags: string[];
  options?: GPURequestAdapterOptions;
}

const VULKAN_DRIVER_VARIABLES = ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES'];

/**
 * Whether the Vulkan loader could find a driver: a variable naming one, or a manifest in the
 * loader's search folders. On Linux Dawn's default route is Vulkan, and probing it with no driver
 * only prints three `vkCreateInstance: Found no drivers!` warnings on a machine without a GPU, so
 * that route is skipped there. Other platforms have their own default backend: always tried.
 */
export function vulkanDriverInstalled(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  if (process.platform !== 'linux') return true;
  if (VULKAN_DRIVER_VARIABLES.some((v) => env[v])) return true;
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
  const configDirs = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
  const home = env.HOME ? [join(env.HOME, '.local', 'share')] : [];
  const folders = [...configDirs, '/etc', ...home, ...dataDirs].filter(Boolean).map((d) => join(d, 'vulkan', 'icd.d'));
  return folders.some((folder) => existsSync(folder) && readdirSync(folder).some((f) => f.endsWith('.json')));
}

function routes(): Route[] {
  return [
    { name: 'dawn-default', prepare: vulkanDriverInstalled, flags: [], skipped: 'no Vulkan driver installed' },
    {
      name: 'dawn-swiftshader',
      prepare: () => {
        if (!existsSync(SWIFTSHADER_ICD)) return false;
        process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
        return true;
      },
      flags: [],
    },
    {
      name: 'dawn-llvmpipe-gles',
      prepare: () => {
        process.env.EGL_PLATFORM ??= 'surfaceless';
        return true;
      },
      flags: ['backend=opengles'],
      options: { featureLevel: 'compatibility' } as GPURequestAdapterOptions,
    },
  ];
}

function selectRoutes(backend: NodeBackend): Route[] {
  const all = routes();
  switch (backend) {
    case 'default':
      return all.slice(0, 1);
    case 'swiftshader':
      return all.slice(1, 2);
    case 'llvmpipe':
      return all.slice(2, 3);
    default:
      return all;
  }
}

export interface FoundAdapter {
  gpu: GPU;
  adapter: GPUAdapter;
  route: string;
}

export async function findNodeAdapter(backend: NodeBackend = 'auto'): Promise<FoundAdapter> {
  const chosen = backend === 'auto' ? ((process.env.OCTET_BACKEND as NodeBackend | undefined) ?? 'auto') : backend;
  const { create } = await loadDawn();
  // Dawn and the Vulkan loader complain on stderr about XDG_RUNTIME_DIR in headless containers.
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const tried: string[] = [];
  for (const route of selectRoutes(chosen)) {
    if (!route.prepare()) {
      tried.push(`${route.name} (${route.skipped ?? 'not installed'})`);
      continue;
    }
    const gpu = create(route.flags);
    instances.push(gpu);
    const adapter = await gpu.requestAdapter(route.options);
    if (adapter) return { gpu, adapter, route: route.name };
    tried.push(`${route.name} (no adapter)`);
  }
  throw new NoWebGPUError(
    `no WebGPU adapter found; tried ${tried.join(', ')}. ` +
      'Without a GPU, install a software one: `apt-get install chromium libvulkan1` (SwiftShader Vulkan) ' +
      'or `apt-get install libegl-dev libgl1-mesa-dri` (llvmpipe).',
  );
}

/** Acquires a GPU context in Node, trying a real GPU first, then the software adapters. */
export async function requestNodeGpuContext(options: NodeGpuOptions = {}): Promise<GpuContext> {
  const { gpu, adapter, route } = await findNodeAdapter(options.backend);
  return createContext(adapter, gpu.wgslLanguageFeatures, route, options);
}
