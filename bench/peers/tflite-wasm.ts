// Peer: the TensorFlow Lite WASM runtime (XNNPACK, SIMD, one thread) shipped inside the npm
// package @tensorflow/tfjs-tflite, driven from Node with small browser shims (self, importScripts,
// fetch for local files). It runs the int8 .tflite itself on the CPU.
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

export interface TfliteTensorInfo {
  id: number;
  dataType: string;
  name: string;
  shape: string;
  data(): Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array | Float32Array | Float64Array;
}

export interface TfliteRunner {
  getInputs(): TfliteTensorInfo[];
  getOutputs(): TfliteTensorInfo[];
  infer(): boolean;
  cleanUp?(): void;
}

interface TfWeb {
  tflite_web_api: { setWasmPath(path: string): void; getWasmFeatures(): Promise<{ simd: boolean; multiThreading: boolean }> };
  TFLiteWebModelRunner: { create(model: ArrayBuffer, options: { numThreads?: number }): Promise<TfliteRunner> };
}

let loaded: Promise<TfWeb> | undefined;

/** The folder holding tflite_web_api_*.js/.wasm; OCTET_TFLITE_WASM_DIR overrides. */
export function findTfliteWasmDir(): string | undefined {
  const fromEnv = process.env.OCTET_TFLITE_WASM_DIR;
  if (fromEnv && existsSync(join(fromEnv, 'tflite_web_api_client.js'))) return fromEnv;
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('@tensorflow/tfjs-tflite/package.json');
    const dir = join(dirname(pkg), 'wasm');
    if (existsSync(join(dir, 'tflite_web_api_client.js'))) return dir;
  } catch {
    // not installed
  }
  return undefined;
}

// The loader only leaves URLs that start with "http" alone; local files go under this fake host.
const LOCAL = 'http://octet.local';

function localPath(url: string): string {
  if (url.startsWith(LOCAL)) return decodeURIComponent(url.slice(LOCAL.length));
  return url.startsWith('file:') ? new URL(url).pathname : url;
}

export function loadTfliteWasm(): Promise<TfWeb> {
  loaded ??= (async () => {
    const dir = findTfliteWasmDir();
    if (!dir) throw new Error('the TFLite WASM runtime was not found (npm install --save-dev @tensorflow/tfjs-tflite, or set OCTET_TFLITE_WASM_DIR)');
    const g = globalThis as Record<string, unknown>;
    g.self ??= globalThis;
    // With no `window`, the loader takes the web-worker path and reads self.location.
    g.location ??= { origin: LOCAL, href: LOCAL + dir + '/' };
    g.importScripts ??= (...urls: string[]) => {
      for (const u of urls) {
        // Node has no Web Workers: the threaded build cannot start, so load the single-thread one.
        const path = localPath(u).replace(/_threaded\.js$/, '.js');
        vm.runInThisContext(readFileSync(path, 'utf8'), { filename: path });
      }
    };
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (url.startsWith(LOCAL) || url.startsWith('file:')) {
        const bytes = readFileSync(localPath(url));
        return new Response(bytes, { headers: { 'content-type': url.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' } });
      }
      return realFetch(input, init);
    }) as typeof fetch;
    // The client is a browser script that ends with `exports.tfweb = tfweb`: give it an exports object.
    const wrapped = `(function (exports) {\n${readFileSync(join(dir, 'tflite_web_api_client.js'), 'utf8')}\n})`;
    const exportsObject: { tfweb?: TfWeb } = {};
    (vm.runInThisContext(wrapped, { filename: 'tflite_web_api_client.js' }) as (e: object) => void).call(globalThis, exportsObject);
    const tfweb = exportsObject.tfweb ?? (g.tfweb as TfWeb | undefined);
    if (!tfweb) throw new Error('tflite_web_api_client.js did not define tfweb');
    tfweb.tflite_web_api.setWasmPath(LOCAL + dir + '/');
    return tfweb;
  })();
  return loaded;
}

export interface TflitePeer {
  runner: TfliteRunner;
  features: string;
  /** Fills the input tensors (in the model's own dtype) and runs once. */
  run(inputs: ArrayBufferView[]): ArrayBufferView[];
}

export async function createTflitePeer(modelBytes: Uint8Array, threads = 1): Promise<TflitePeer> {
  const tfweb = await loadTfliteWasm();
  const f = await tfweb.tflite_web_api.getWasmFeatures();
  const buffer = modelBytes.buffer.slice(modelBytes.byteOffset, modelBytes.byteOffset + modelBytes.byteLength) as ArrayBuffer;
  const runner = await tfweb.TFLiteWebModelRunner.create(buffer, { numThreads: threads });
  return {
    runner,
    features: `wasm simd=${f.simd} threads=${threads} (XNNPACK)`,
    run(inputs) {
      const ins = runner.getInputs();
      ins.forEach((t, i) => {
        const dst = t.data();
        const src = inputs[i]!;
        if (src.byteLength !== dst.byteLength) throw new Error(`TFLite input ${i} takes ${dst.byteLength} bytes, got ${src.byteLength}`);
        new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
      });
      if (!runner.infer()) throw new Error('TFLite infer() failed');
      return runner.getOutputs().map((t) => t.data().slice());
    },
  };
}
