// The page's side of cpu-worker.ts: promises for decode, load, run; and WorkerModel, which stands in
// for an OctetModel on the CPU backend (same graph, inputs, outputs, info, runDetailed, dispose).
import { ImageDecodeError, type DetailedResult, type Graph, type ModelInfo, type RgbImage, type TensorData } from '../src/index.ts';
import type { WorkerReply, WorkerRequest } from './cpu-worker.ts';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

let worker: Worker | undefined;
const pending = new Map<number, Pending>();
let nextId = 1;
let nextKey = 1;

function reviveError(e: { name: string; message: string; source?: string; reason?: string }): Error {
  if (e.name === 'ImageDecodeError' && e.source !== undefined && e.reason !== undefined) return new ImageDecodeError(e.source, e.reason);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

function call<T>(request: Request, transfer: Transferable[] = []): Promise<T> {
  worker ??= (() => {
    const w = new Worker(new URL('./cpu-worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = ({ data }: MessageEvent<WorkerReply>) => {
      const p = pending.get(data.id);
      if (!p) return;
      pending.delete(data.id);
      if (data.ok) p.resolve(data.value);
      else p.reject(reviveError(data.error));
    };
    w.onerror = (e) => {
      for (const p of pending.values()) p.reject(new Error(`the CPU worker failed: ${e.message}`));
      pending.clear();
    };
    return w;
  })();
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    worker!.postMessage({ ...request, id }, transfer);
  });
}

/** JPEG, PNG or BMP bytes → RGB, in the worker (the bytes are copied, the caller keeps its own). */
export function decodeInWorker(bytes: Uint8Array, name: string): Promise<RgbImage> {
  const copy = bytes.slice();
  return call<RgbImage>({ op: 'decode', bytes: copy, name }, [copy.buffer]);
}

/** An OctetModel on the CPU backend, living in the worker. */
export class WorkerModel {
  readonly backend = 'cpu' as const;
  private disposed = false;

  private constructor(
    readonly graph: Graph,
    private readonly key: number,
    private readonly summary: ModelInfo,
  ) {}

  /**
   * Loads `bytes` in the worker, dequantized to float32 when asked; `graph` is the same model as the
   * page imported it (dequantized the same way), for shapes, recipes and decoding.
   */
  static async load(bytes: Uint8Array, graph: Graph, name: string, dequantize: boolean): Promise<WorkerModel> {
    const key = nextKey++;
    const copy = bytes.slice();
    const info = await call<ModelInfo>({ op: 'load', key, bytes: copy, name, dequantize }, [copy.buffer]);
    return new WorkerModel(graph, key, info);
  }

  get inputs() {
    return this.graph.inputs.map((id) => this.graph.tensors[id]!);
  }

  get outputs() {
    return this.graph.outputs.map((id) => this.graph.tensors[id]!);
  }

  info(): ModelInfo {
    return this.summary;
  }

  async runDetailed(input: TensorData): Promise<Pick<DetailedResult, 'outputs' | 'layerTimes'>> {
    if (this.disposed) throw new Error(`model '${this.graph.name}' was disposed`);
    return { outputs: await call<TensorData[]>({ op: 'run', key: this.key, input }) };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void call({ op: 'dispose', key: this.key }).catch(() => undefined);
  }
}
