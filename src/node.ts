// Node entry: the browser API plus Dawn-backed GPU acquisition and file helpers.
import { readFile } from 'node:fs/promises';
import { requestNodeGpuContext, type NodeGpuOptions } from './gpu/node-gpu.ts';
import { OctetModel, type LoadOptions } from './runtime/model.ts';

export * from './index.ts';
export {
  requestNodeGpuContext,
  findNodeAdapter,
  SWIFTSHADER_ICD,
  type NodeGpuOptions,
  type NodeBackend,
  type FoundAdapter,
} from './gpu/node-gpu.ts';
export { findAssetsDir, assetPath, AssetsNotFoundError } from './assets-node.ts';

/** Loads a .tflite file; acquires a GPU context when none is given and the backend is 'gpu'. */
export async function loadModelFile(path: string, options: LoadOptions & { gpu?: NodeGpuOptions } = {}): Promise<OctetModel> {
  const bytes = new Uint8Array(await readFile(path));
  const name = options.name ?? path.split('/').pop()!.replace(/\.tflite$/, '');
  const backend = options.backend ?? 'gpu';
  const context = backend === 'gpu' ? (options.context ?? (await requestNodeGpuContext(options.gpu))) : undefined;
  const reacquire = options.reacquire ?? (() => requestNodeGpuContext(options.gpu));
  return OctetModel.load(bytes, { ...options, name, backend, context, reacquire });
}
