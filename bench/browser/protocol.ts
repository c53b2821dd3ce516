// What the browser bench's driver (run.ts, Node) and page (page.ts, Chromium) exchange.
import type { Stats } from '../common.ts';

export type BrowserEngineId = 'octet-int8' | 'octet-f32' | 'litert-webgpu' | 'litert-webgpu-fp32' | 'litert-wasm' | 'tfjs-webgpu';

export const BROWSER_ENGINES: Array<{ id: BrowserEngineId; label: string }> = [
  { id: 'octet-int8', label: 'Octet int8 (WebGPU)' },
  { id: 'octet-f32', label: 'Octet f32 (WebGPU)' },
  { id: 'litert-webgpu', label: 'LiteRT.js WebGPU (JSPI)' },
  { id: 'litert-webgpu-fp32', label: 'LiteRT.js WebGPU, precision fp32' },
  { id: 'litert-wasm', label: 'LiteRT.js WASM (XNNPACK, 1 thread)' },
  { id: 'tfjs-webgpu', label: 'TF.js WebGPU f32' },
];

export interface PageInfo {
  adapter: string;
  userAgent: string;
  timestamps: boolean;
  dot4: boolean;
  litertLoadMs: number;
  /** TF.js backend description, or why it is absent. */
  tfjs: string;
}

export interface BrowserModelSpec {
  id: string;
  label: string;
  modelUrl: string;
  engines: BrowserEngineId[];
  /** TFLite reference vectors (raw bytes in the model's input and output dtypes). */
  vectors: Array<{ name: string; inputUrl: string; outputUrl: string }>;
  /** Eval sample: inputs made as the TFLite reference CSVs' were, and TFLite's top-1 (model output index). */
  eval: Array<{ file: string; inputUrl: string; tflTop1: number }>;
  warmup: number;
  rounds: number;
  /** Stop adding rounds (after 3) once the timed rounds took this long, ms. */
  budgetMs: number;
}

export interface BrowserEngineResult {
  engine: BrowserEngineId;
  firstMs?: number;
  latency?: Stats;
  note?: string;
  fullyAccelerated?: boolean;
  /** Octet engines: GPU bytes of constants (weights, per-channel params) and of activations. */
  memory?: { constantBytes: number; activationBytes: number };
  vectors?: Array<{ name: string; elements: number; differing: number; maxAbs: number; lengthOk: boolean }>;
  evalAgree?: { n: number; agree: number };
  error?: string;
}

export interface BrowserModelResult {
  id: string;
  label: string;
  macs: number;
  inputShape: number[];
  inputDtype: string;
  outputDtype: string;
  engines: BrowserEngineResult[];
  dispatch?: { engine: BrowserEngineId; totalMs: number; count: number; top: Array<{ label: string; opIndex: number; ms: number }> };
}
