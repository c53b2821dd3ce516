// The three ways the demo runs a model on one image, and how their answers compare:
//   int8  — the quantized model on the GPU (or on the CPU reference when there is no WebGPU),
//   float — the same network in float32: its float .tflite twin, else the int8 model dequantized,
//   cpu   — the CPU reference, TFLite's integer arithmetic to the bit.
import { dequantizeGraph } from '../src/float/dequantize-graph.ts';
import {
  OctetModel,
  imageToModelInput,
  labelsForModel,
  labelsFromMetadata,
  parseLabels,
  chooseInputRecipe,
  importTflite,
  readTfliteMetadata,
  type ModelMetadata,
  type GpuContext,
  type Graph,
  type InputRecipe,
  type LayerTime,
  type ModelInfo,
  type RgbImage,
  type TensorData,
  type TensorIR,
} from '../src/index.ts';
import type { AssetStore, Progress } from './assets.ts';
import type { ModelChoice } from './catalog.ts';

export type PathId = 'int8' | 'float' | 'cpu';

export interface LoadedPath {
  id: PathId;
  model: OctetModel;
  /** Asset path of the .tflite it came from. */
  source: string;
  where: 'gpu' | 'cpu';
  /** One line on what runs and where, shown under the path's title. */
  note: string;
  recipe: InputRecipe;
  labels: string[] | undefined;
  info: ModelInfo;
}

export interface Ranked {
  index: number;
  label: string;
  score: number;
}

export interface PathResult {
  raw: TensorData;
  scores: Float64Array;
  top: Ranked[];
  wallMs: number;
  layerTimes?: LayerTime[];
}

export interface Agreement {
  sameTop1: boolean;
  /** How many of b's top-5 classes are in a's top-5. */
  overlap: number;
  of: number;
  /** Same output bytes (only meaningful between two int8 runs). */
  identical: boolean;
}

/** The float path is unavailable for this model: not an error. */
export class FloatUnavailableError extends Error {
  override name = 'FloatUnavailableError';
}

export class NotAnImageModelError extends Error {
  override name = 'NotAnImageModelError';
}


// The TFLite Support metadata each fetched model carries (how it wants its pixels, its packed
// labels), kept by graph so a model works the same under any file name.
const metadataByGraph = new WeakMap<Graph, ModelMetadata | undefined>();
const metadataBySource = new Map<string, ModelMetadata | undefined>();

export async function fetchGraph(store: AssetStore, path: string, onProgress?: Progress): Promise<Graph> {
  const bytes = await store.bytes(path, onProgress);
  const graph = importTflite(bytes, path);
  let metadata: ModelMetadata | undefined;
  try {
    metadata = readTfliteMetadata(bytes);
  } catch (e) {
    console.warn(`${path}: its metadata is unreadable, so the recipe table and asset labels serve instead (${(e as Error).message})`);
  }
  metadataByGraph.set(graph, metadata);
  metadataBySource.set(path, metadata);
  return graph;
}

async function loadLabels(store: AssetStore, modelPath: string, output: TensorIR): Promise<string[] | undefined> {
  const classes = output.shape[output.shape.length - 1] ?? 0;
  const packed = metadataBySource.get(modelPath);
  const fromMetadata = packed && labelsFromMetadata(packed);
  if (fromMetadata && fromMetadata.labels.length === classes) return fromMetadata.labels;
  const file = labelsForModel(modelPath, classes);
  if (!file) return undefined;
  try {
    return parseLabels(await store.labels(file));
  } catch {
    return undefined; // class numbers still show; a missing label list is not worth failing the run
  }
}

function recipeFor(modelPath: string, graph: Graph): InputRecipe {
  const input = graph.tensors[graph.inputs[0]!]!;
  const chosen = chooseInputRecipe(modelPath, input, metadataByGraph.get(graph));
  if (!chosen) throw new NotAnImageModelError(`${modelPath} does not take an image input`);
  return chosen.recipe;
}

async function finish(
  id: PathId,
  model: OctetModel,
  source: string,
  labelSource: string,
  recipe: InputRecipe,
  note: string,
  store: AssetStore,
): Promise<LoadedPath> {
  const labels = await loadLabels(store, labelSource, model.outputs[0]!);
  return { id, model, source, where: model.backend, note, recipe, labels, info: model.info() };
}

/** The int8 model on the GPU, or on the CPU reference when there is no GPU context. */
export async function loadInt8(store: AssetStore, graph: Graph, source: string, context: GpuContext | undefined): Promise<LoadedPath> {
  const recipe = recipeFor(source, graph);
  const model = context
    ? await OctetModel.load(graph, { context, backend: 'gpu', name: source })
    : await OctetModel.load(graph, { backend: 'cpu', name: source });
  const note = context ? 'int8 WGSL kernels on the GPU' : 'int8 on the CPU reference: this browser has no WebGPU';
  return finish('int8', model, source, source, recipe, note, store);
}

export async function loadCpuReference(store: AssetStore, graph: Graph, source: string): Promise<LoadedPath> {
  const model = await OctetModel.load(graph, { backend: 'cpu', name: source });
  return finish('cpu', model, source, source, recipeFor(source, graph), "TFLite's integer arithmetic, bit-exact, in JavaScript", store);
}

/**
 * The float32 path: the float twin when the catalog names one, else the int8 graph dequantized.
 * On the GPU when the float kernels run this graph; otherwise in float32 on the CPU, said so.
 */
export async function loadFloat(
  store: AssetStore,
  choice: ModelChoice,
  int8Graph: Graph,
  context: GpuContext | undefined,
  onProgress?: Progress,
): Promise<LoadedPath> {
  let graph: Graph;
  let source: string;
  let recipe: InputRecipe;
  let origin: string;
  if (choice.floatPath && store.has(choice.floatPath)) {
    graph = await fetchGraph(store, choice.floatPath, onProgress);
    source = choice.floatPath;
    recipe = recipeFor(source, graph);
    origin = `float32 twin ${source.split('/').pop()}`;
  } else {
    try {
      graph = dequantizeGraph(int8Graph);
    } catch (e) {
      throw new FloatUnavailableError(`no float twin, and the int8 model cannot be run as float (${(e as Error).message})`);
    }
    source = choice.path;
    recipe = dequantizedRecipe(recipeFor(choice.path, int8Graph), int8Graph, graph);
    origin = 'int8 weights dequantized to float32';
  }
  if (context) {
    try {
      const model = await OctetModel.load(graph, { context, backend: 'gpu', name: `${source} (float32)` });
      return finish('float', model, source, choice.path, recipe, `${origin}, on the GPU`, store);
    } catch (e) {
      const model = await OctetModel.load(graph, { backend: 'cpu', name: `${source} (float32)` });
      return finish('float', model, source, choice.path, recipe, `${origin}, on the CPU (the GPU float path: ${plainReason(e)})`, store);
    }
  }
  const model = await OctetModel.load(graph, { backend: 'cpu', name: `${source} (float32)` });
  return finish('float', model, source, choice.path, recipe, `${origin}, on the CPU`, store);
}

/**
 * The int8 model feeds pixels straight in (q = p + offset); its dequantized twin takes the real
 * value those pixels stand for, real = scale × (q − zero point), when its input became float32.
 */
function dequantizedRecipe(int8Recipe: InputRecipe, int8Graph: Graph, floatGraph: Graph): InputRecipe {
  const floatInput = floatGraph.tensors[floatGraph.inputs[0]!]!;
  if (floatInput.dtype !== 'float32') return int8Recipe;
  const enc = int8Recipe.encoding;
  if (enc.kind === 'real') return int8Recipe;
  const q = int8Graph.tensors[int8Graph.inputs[0]!]!.quant;
  const scale = q?.scale[0] ?? 1;
  const zeroPoint = q?.zeroPoint[0] ?? 0;
  const offset = enc.offset;
  return {
    ...int8Recipe,
    name: `${int8Recipe.name}, dequantized`,
    encoding: { kind: 'real', toReal: (p) => scale * (p + offset - zeroPoint), description: `${scale} × (p + ${offset} − ${zeroPoint})` },
  };
}

export function plainReason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.length > 240 ? `${message.slice(0, 237)}…` : message;
}

export async function runPath(path: LoadedPath, image: RgbImage, timing: boolean): Promise<PathResult> {
  const inputTensor = path.model.inputs[0]!;
  const input = imageToModelInput(image, inputTensor, { recipe: path.recipe });
  const start = performance.now();
  const detailed = await path.model.runDetailed(input, { timing: timing && path.where === 'gpu' });
  const wallMs = performance.now() - start;
  const raw = detailed.outputs[0]!;
  const scores = toScores(raw, path.model.outputs[0]!);
  return { raw, scores, top: rank(scores, path.labels, 5), wallMs, layerTimes: detailed.layerTimes };
}

function toScores(raw: TensorData, tensor: TensorIR): Float64Array {
  const out = new Float64Array(raw.length);
  const q = tensor.quant;
  if (q && tensor.dtype !== 'float32') {
    const scale = q.scale[0]!;
    const zp = q.zeroPoint[0]!;
    for (let i = 0; i < raw.length; i++) out[i] = scale * (raw[i]! - zp);
  } else {
    for (let i = 0; i < raw.length; i++) out[i] = raw[i]!;
  }
  return out;
}

export function rank(scores: Float64Array, labels: string[] | undefined, k: number): Ranked[] {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
  return order.slice(0, k).map((index) => ({ index, label: labels?.[index] || `class ${index}`, score: scores[index]! }));
}

export function agreement(a: PathResult, b: PathResult): Agreement {
  const k = Math.min(5, a.top.length, b.top.length);
  const aTop = new Set(a.top.slice(0, k).map((r) => r.index));
  const overlap = b.top.slice(0, k).filter((r) => aTop.has(r.index)).length;
  const identical =
    a.raw.constructor === b.raw.constructor && a.raw.length === b.raw.length && a.raw.every((v, i) => v === b.raw[i]);
  return { sameTop1: a.top[0]?.index === b.top[0]?.index, overlap, of: k, identical };
}
