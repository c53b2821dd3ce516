// Peer: Google's LiteRT.js (@litertjs/core), in a browser page (bench/browser/). Its WebGPU
// accelerator needs the JSPI build of its WASM runtime (Chromium; Node 20 has no JSPI, and its
// non-JSPI WebGPU path fails on quantized models), so this peer runs only in the browser bench.
//
// LiteRT.js's JavaScript Tensor API knows three dtypes: float32, int32 and uint8. A model whose
// input or output tensor is int8 (MLPerf Tiny's ResNet-8 and VWW) is refused when it is compiled
// ("Element type INT8 is not supported"). What it does offer is uint8, so such a model is handed
// to LiteRT.js with a uint8 boundary, the way the TFLite converter writes models with
// inference_input_type=uint8: each int8 graph input becomes a uint8 tensor with the same scale and
// zero point + 128, followed by a QUANTIZE op to the original int8 tensor; each int8 output gets a
// QUANTIZE op to a uint8 tensor (zero point + 128). With the same scale, TFLite's QUANTIZE between
// int8 and uint8 is q ± 128 exactly, so the bytes fed and read back are the int8 values + 128, and
// outputs are compared with the reference int8 bytes after subtracting 128.
import { loadAndCompile, loadLiteRt, Tensor, type CompiledModel } from '@litertjs/core';
import type { Graph } from '../../src/model/graph.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { withUint8Boundary } from './uint8-boundary.ts';

export type LitertAccelerator = 'webgpu' | 'wasm';

let loaded: Promise<unknown> | undefined;

/** Loads LiteRT.js's JSPI WASM runtime from `wasmDir` (node_modules/@litertjs/core/wasm, served). */
export function initLitert(wasmDir: string): Promise<unknown> {
  loaded ??= loadLiteRt(wasmDir, { jspi: true });
  return loaded;
}

type HostArray = Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>;

/** One compiled LiteRT.js model; `run` takes and returns the original graph's dtypes. */
export class LitertPeer {
  private constructor(
    private readonly model: CompiledModel,
    readonly accelerator: LitertAccelerator,
    /** Whether int8 I/O was turned into uint8 (withUint8Boundary). */
    readonly uint8Boundary: boolean,
    private readonly inputShapes: number[][],
    /** Per output: int8 in the original graph (returned by LiteRT.js as uint8 + 128). */
    private readonly int8Outputs: boolean[],
  ) {}

  /** `precision` (WebGPU only): LiteRT.js's gpuOptions.precision; undefined leaves its default. */
  static async create(bytes: Uint8Array, graph: Graph, accelerator: LitertAccelerator, precision?: 'fp16' | 'fp32'): Promise<LitertPeer> {
    const wrapped = withUint8Boundary(graph);
    const model = await loadAndCompile(wrapped ? exportTflite(wrapped) : bytes, { accelerator, ...(precision ? { gpuOptions: { precision } } : {}) });
    const shapes = model.getInputDetails().map((d) => Array.from(d.shape));
    const int8Outputs = graph.outputs.map((id) => graph.tensors[id]!.dtype === 'int8');
    return new LitertPeer(model, accelerator, wrapped !== undefined, shapes, int8Outputs);
  }

  /** Whether every op runs on the chosen accelerator (no per-op fallback to its WASM CPU kernels). */
  get fullyAccelerated(): boolean {
    return this.model.isFullyAccelerated;
  }

  /** Inputs in the original dtypes (int8 as Int8Array); outputs likewise, read back to the host. */
  async run(inputs: ReadonlyArray<Int8Array | Uint8Array | Float32Array | Int32Array>): Promise<Array<Int8Array | HostArray>> {
    // (LiteRT.js copies host arrays into its WASM heap; its types want ArrayBuffer-backed arrays, which these are.)
    const tensors = inputs.map((x, i) => new Tensor(x instanceof Int8Array ? toUint8(x) : (x as HostArray), this.inputShapes[i]));
    try {
      const outs = await this.model.run(tensors);
      const host: Array<Int8Array | HostArray> = [];
      for (const o of outs) {
        const h = o.accelerator === 'wasm' ? o : await o.moveTo('wasm');
        const a = h.toTypedArray().slice() as HostArray;
        h.delete();
        if (h !== o && !o.deleted) o.delete();
        host.push(a);
      }
      // With a uint8 boundary, outputs that were int8 in the original graph come back as uint8 + 128.
      return host.map((a, i) => (this.int8Outputs[i] && a instanceof Uint8Array ? toInt8(a) : a));
    } finally {
      for (const t of tensors) t.delete();
    }
  }

  delete(): void {
    this.model.delete();
  }
}

const toUint8 = (x: Int8Array) => Uint8Array.from(x, (v) => v + 128);
const toInt8 = (x: Uint8Array) => Int8Array.from(x, (v) => v - 128);
