// Opens a model file for a command: reads it with a clear message when missing, acquires a GPU
// for the 'gpu' backend (NoWebGPUError propagates: exit code 2), and names it after the file so
// that preprocessing recipes and label files, keyed by file name, are found.
import { basename } from 'node:path';
import type { GpuContext } from '../gpu/context.ts';
import { NoWebGPUError } from '../gpu/errors.ts';
import { requestNodeGpuContext, type NodeBackend } from '../gpu/node-gpu.ts';
import { importTflite, importTfliteListing } from '../model/import.ts';
import type { Graph, GraphListing } from '../model/graph.ts';
import { ModelFormatError } from '../model/errors.ts';
import { readTfliteMetadata, type ModelMetadata } from '../model/metadata.ts';
import type { RequantizationMode } from '../reference/run.ts';
import { OctetModel, type Backend } from '../runtime/model.ts';
import { CliError } from './errors.ts';
import { readBytes } from './files.ts';

export interface ModelOptions {
  backend?: Backend;
  requantization?: RequantizationMode;
  /** How Node finds its WebGPU adapter (the 'gpu' backend only). */
  adapter?: NodeBackend;
}

export const BACKENDS: readonly Backend[] = ['gpu', 'cpu'];
export const REQUANTIZATION_MODES: readonly RequantizationMode[] = ['xnnpack', 'tflite'];
export const ADAPTER_ROUTES: readonly NodeBackend[] = ['auto', 'default', 'swiftshader', 'llvmpipe'];

export function modelNameFromPath(path: string): string {
  return basename(path).replace(/\.tflite$/i, '');
}

/** Names the model file in a failure to read or prepare it; a missing GPU keeps its own type (exit code 2). */
function modelError(path: string, e: unknown): unknown {
  if (e instanceof NoWebGPUError || !(e instanceof Error)) return e;
  const what = e instanceof ModelFormatError ? 'not a valid TFLite model: ' : '';
  return new CliError(`${path}: ${what}${e.message}`, { cause: e });
}

/** Reads a model file with one of the importers, naming the file in any failure. */
function readModelFile<T>(path: string, read: (bytes: Uint8Array, name: string) => T): T {
  const bytes = readBytes(path, 'model file');
  try {
    return read(bytes, modelNameFromPath(path));
  } catch (e) {
    throw modelError(path, e);
  }
}

/** The model file's TFLite Support metadata (preprocessing, packed labels), or undefined when it has none. */
export function modelMetadataOfFile(path: string): ModelMetadata | undefined {
  return readModelFile(path, (bytes) => readTfliteMetadata(bytes));
}

export function importModelFile(path: string): Graph {
  return readModelFile(path, importTflite);
}

/** The model for listing (`octet inspect`): unsupported operators kept in place, none refused. */
export function listModelFile(path: string): GraphListing {
  return readModelFile(path, importTfliteListing);
}

// One GPU device per adapter route for the process: commands called in-process (tests, scripts)
// share it rather than piling up Dawn devices, which live until exit anyway.
const contexts = new Map<NodeBackend, Promise<GpuContext>>();

function gpuContext(route: NodeBackend): Promise<GpuContext> {
  let context = contexts.get(route);
  if (!context) {
    context = requestNodeGpuContext({ backend: route });
    // A failed acquisition is not cached: a later call may find an adapter (another route, a driver installed).
    context.catch(() => contexts.delete(route));
    contexts.set(route, context);
  }
  return context;
}

export async function openModel(path: string, options: ModelOptions = {}): Promise<OctetModel> {
  const graph = importModelFile(path);
  const backend = options.backend ?? 'gpu';
  const context = backend === 'gpu' ? await gpuContext(options.adapter ?? 'auto') : undefined;
  try {
    return await OctetModel.load(graph, { backend, context, requantization: options.requantization });
  } catch (e) {
    throw modelError(path, e);
  }
}
