// The demo's Web Worker: image decoding and every CPU run (the bit-exact reference, and the float
// path when the GPU cannot take it) happen here, so a long JavaScript run never freezes the page.
// The page talks to it through worker-client.ts; each request carries an id, answered once.
import { OctetModel, decodeImage, dequantizeGraph, importTflite, ImageDecodeError, type TensorData } from '../src/index.ts';

export type WorkerRequest =
  | { id: number; op: 'decode'; bytes: Uint8Array; name: string }
  | { id: number; op: 'load'; key: number; bytes: Uint8Array; name: string; dequantize: boolean }
  | { id: number; op: 'run'; key: number; input: TensorData }
  | { id: number; op: 'dispose'; key: number };

export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string; source?: string; reason?: string } };

const models = new Map<number, OctetModel>();

function transferables(values: readonly unknown[]): Transferable[] {
  return values.flatMap((v) => (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer ? [v.buffer] : []));
}

async function handle(req: WorkerRequest): Promise<{ value: unknown; transfer: Transferable[] }> {
  switch (req.op) {
    case 'decode': {
      const rgb = decodeImage(req.bytes, req.name);
      return { value: rgb, transfer: [rgb.data.buffer as ArrayBuffer] };
    }
    case 'load': {
      const imported = importTflite(req.bytes, req.name);
      const graph = req.dequantize ? dequantizeGraph(imported) : imported;
      const model = await OctetModel.load(graph, { backend: 'cpu', name: req.name });
      models.get(req.key)?.dispose();
      models.set(req.key, model);
      return { value: model.info(), transfer: [] };
    }
    case 'run': {
      const model = models.get(req.key);
      if (!model) throw new Error(`model ${req.key} is not loaded in the worker`);
      const outputs = await model.run(req.input);
      return { value: outputs, transfer: transferables(outputs) };
    }
    case 'dispose':
      models.get(req.key)?.dispose();
      models.delete(req.key);
      return { value: undefined, transfer: [] };
  }
}

self.onmessage = async ({ data }: MessageEvent<WorkerRequest>) => {
  try {
    const { value, transfer } = await handle(data);
    (self as unknown as Worker).postMessage({ id: data.id, ok: true, value } satisfies WorkerReply, transfer);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const decode = err instanceof ImageDecodeError ? { source: err.source, reason: err.reason } : {};
    (self as unknown as Worker).postMessage({ id: data.id, ok: false, error: { name: err.name, message: err.message, ...decode } } satisfies WorkerReply);
  }
};
