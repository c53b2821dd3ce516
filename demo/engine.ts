// The three ways the demo runs a model on one image, and how their answers compare:
//   int8  — the quantized model on the GPU (or on the CPU reference when there is no WebGPU),
//   float — the same network in float32: its float .tflite twin, else the int8 model dequantized,
//   cpu   — the CPU reference, TFLite's integer arithmetic to the bit.
// Every CPU run happens in the demo's Web Worker (WorkerModel), so the page stays responsive.
// Each task decodes the outputs its own way (classify: top 5; detect: boxes; segment: a class
// map; pose: keypoints) into a TaskOutput, plus rows for the result card.
import { dequantizeGraph } from '../src/passes/dequantize-graph.ts';
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
  type ClassMap,
  type Detection,
  type Keypoint,
  classHistogram,
  classMapOf,
  decodeDetections,
  detectionHeadOf,
  detectionLabels,
  iou,
  keypointsOf,
  PASCAL_VOC_LABELS,
  type DetectionHead,
} from '../src/index.ts';
import type { AssetStore, Progress } from './assets.ts';
import type { ModelChoice, TaskKind } from './catalog.ts';
import { WorkerModel } from './worker-client.ts';

export type PathId = 'int8' | 'float' | 'cpu';

/** What a path runs: a model on the GPU here, or on the CPU reference in the worker. */
export type PathModel = OctetModel | WorkerModel;

export interface LoadedPath {
  id: PathId;
  model: PathModel;
  /** Asset path of the .tflite it came from. */
  source: string;
  where: 'gpu' | 'cpu';
  /** One line on what runs and where, shown under the path's title. */
  note: string;
  recipe: InputRecipe;
  labels: readonly string[] | undefined;
  info: ModelInfo;
  task: TaskKind;
  /** The int8 model's metadata (box order, packed label files), for every path of it. */
  metadata: ModelMetadata | undefined;
  /** The detection layout, for detect. */
  head?: DetectionHead;
}

export interface Ranked {
  index: number;
  label: string;
  score: number;
}

export type TaskOutput =
  | { kind: 'classify'; scores: Float64Array }
  | { kind: 'detect'; detections: Detection[] }
  | { kind: 'segment'; map: ClassMap }
  | { kind: 'pose'; keypoints: Keypoint[] };

export interface PathResult {
  raw: TensorData;
  /** Every output, in the model's order. */
  outputs: TensorData[];
  output: TaskOutput;
  /** The card's list: top-5 classes, detected objects, classes by area, keypoints. */
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
// The file each graph came from, for loading it again in the worker.
const bytesByGraph = new WeakMap<Graph, Uint8Array>();

export async function fetchGraph(store: AssetStore, path: string, onProgress?: Progress): Promise<Graph> {
  const bytes = await store.bytes(path, onProgress);
  const graph = importTflite(bytes, path);
  bytesByGraph.set(graph, bytes);
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

async function loadLabels(store: AssetStore, modelPath: string, output: TensorIR): Promise<readonly string[] | undefined> {
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

/** Labels and the task's output layout, checked when the path loads (a TaskError names a misfit). */
async function finish(
  id: PathId,
  model: PathModel,
  source: string,
  labelSource: string,
  recipe: InputRecipe,
  note: string,
  store: AssetStore,
  task: TaskKind,
): Promise<LoadedPath> {
  const metadata = metadataBySource.get(labelSource);
  try {
    if (task === 'classify') {
      const labels = await loadLabels(store, labelSource, model.outputs[0]!);
      return { id, model, source, where: model.backend, note, recipe, labels, info: model.info(), task, metadata };
    }
    if (task === 'detect') {
      const head = detectionHeadOf(model.graph, metadata);
      const labels = detectionLabels(head, metadata, labelSource);
      return { id, model, source, where: model.backend, note, recipe, labels, info: model.info(), task, metadata, head };
    }
    const labels = task === 'segment' ? (metadata && labelsFromMetadata(metadata)?.labels) ?? PASCAL_VOC_LABELS : undefined;
    const base = { id, model, source, where: model.backend, note, recipe, labels, info: model.info(), task, metadata };
    // Decoding a zero output checks the layout now rather than at the first run.
    if (task === 'segment') classMapOf(model.graph, model.outputs.map(zeros));
    else keypointsOf(model.graph, model.outputs.map(zeros));
    return base;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

function zeros(t: TensorIR): TensorData {
  const n = t.shape.reduce((a, b) => a * b, 1);
  return t.dtype === 'int64' ? (new BigInt64Array(n) as unknown as TensorData) : new Float32Array(n);
}

/** The graph on the CPU reference, in the worker: the bytes it came from, dequantized when it is a dequantized twin. */
function workerModel(graph: Graph, fileGraph: Graph, name: string, dequantize: boolean): Promise<WorkerModel> {
  const bytes = bytesByGraph.get(fileGraph);
  if (!bytes) throw new Error(`${name}: its file bytes are not at hand for the worker`);
  return WorkerModel.load(bytes, graph, name, dequantize);
}

/** The int8 model on the GPU, or on the CPU reference (in the worker) when there is no GPU context. */
export async function loadInt8(store: AssetStore, graph: Graph, source: string, context: GpuContext | undefined, task: TaskKind): Promise<LoadedPath> {
  const recipe = recipeFor(source, graph);
  const model = context ? await OctetModel.load(graph, { context, backend: 'gpu', name: source }) : await workerModel(graph, graph, source, false);
  const note = context ? 'int8 WGSL kernels on the GPU' : 'int8 on the CPU reference: this browser has no WebGPU';
  return finish('int8', model, source, source, recipe, note, store, task);
}

export async function loadCpuReference(store: AssetStore, graph: Graph, source: string, task: TaskKind): Promise<LoadedPath> {
  const model = await workerModel(graph, graph, source, false);
  return finish('cpu', model, source, source, recipeFor(source, graph), "TFLite's integer arithmetic, bit-exact, in JavaScript (in a worker)", store, task);
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
  task: TaskKind,
  onProgress?: Progress,
): Promise<LoadedPath> {
  let graph: Graph;
  let fileGraph: Graph;
  let dequantize: boolean;
  let source: string;
  let recipe: InputRecipe;
  let origin: string;
  if (choice.floatPath && store.has(choice.floatPath)) {
    graph = await fetchGraph(store, choice.floatPath, onProgress);
    fileGraph = graph;
    dequantize = false;
    source = choice.floatPath;
    recipe = recipeFor(source, graph);
    origin = `float32 twin ${source.split('/').pop()}`;
  } else {
    try {
      graph = dequantizeGraph(int8Graph);
      fileGraph = int8Graph;
      dequantize = true;
    } catch (e) {
      throw new FloatUnavailableError(`no float twin, and the int8 model cannot be run as float (${(e as Error).message})`);
    }
    source = choice.path;
    recipe = dequantizedRecipe(recipeFor(choice.path, int8Graph), int8Graph, graph);
    origin = 'int8 weights dequantized to float32';
  }
  const name = `${source} (float32)`;
  if (context) {
    let gpu: OctetModel | undefined;
    let reason = '';
    try {
      gpu = await OctetModel.load(graph, { context, backend: 'gpu', name });
    } catch (e) {
      reason = plainReason(e);
    }
    if (gpu) return finish('float', gpu, source, choice.path, recipe, `${origin}, on the GPU`, store, task);
    const model = await workerModel(graph, fileGraph, name, dequantize);
    return finish('float', model, source, choice.path, recipe, `${origin}, on the CPU (the GPU float path: ${reason})`, store, task);
  }
  const model = await workerModel(graph, fileGraph, name, dequantize);
  return finish('float', model, source, choice.path, recipe, `${origin}, on the CPU`, store, task);
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
  const detailed =
    path.model instanceof WorkerModel ? await path.model.runDetailed(input) : await path.model.runDetailed(input, { timing: timing && path.where === 'gpu' });
  const wallMs = performance.now() - start;
  const outputs = detailed.outputs;
  const raw = outputs[0]!;
  const { output, top } = decodeTask(path, outputs);
  return { raw, outputs, output, top, wallMs, layerTimes: detailed.layerTimes };
}

/** How camera frames reach a model on the GPU: as they are (the GPU image input), or as pixels. */
export type FrameRoute = 'gpu' | 'cpu';

/**
 * The adapter's frame route. A software adapter takes the pixels: there the image-input shader
 * (exact, so with binary64 emulation at rounding ties) took 42-120 ms per 640×480 → 224×224
 * frame on SwiftShader, against 2-5 ms for the CPU's preprocessing. The page's ?frames=gpu or
 * ?frames=cpu overrides it.
 */
export function frameRouteFor(context: GpuContext | undefined): FrameRoute {
  return context && !context.caps.paths.softwareAdapter ? 'gpu' : 'cpu';
}

/** Whether runPathOnFrame hands this path the frame itself (a model on the GPU, on the 'gpu' route) rather than its pixels. */
export function takesFramesOnGpu(path: LoadedPath, route: FrameRoute): boolean {
  return route === 'gpu' && path.where === 'gpu' && path.model instanceof OctetModel;
}

/**
 * A path on a camera frame kept as an ImageBitmap: a model on the GPU takes the frame as it is
 * (resized, normalized and quantized by the GPU image input, byte for byte the CPU pipeline's
 * tensor); the others preprocess its pixels on the CPU.
 */
export async function runPathOnFrame(path: LoadedPath, frame: ImageBitmap, pixels: () => RgbImage, timing: boolean, route: FrameRoute): Promise<PathResult> {
  if (path.model instanceof WorkerModel || !takesFramesOnGpu(path, route)) return runPath(path, pixels(), timing);
  const start = performance.now();
  const detailed = await path.model.runDetailed({ image: frame, recipe: path.recipe }, { timing });
  const wallMs = performance.now() - start;
  const { output, top } = decodeTask(path, detailed.outputs);
  return { raw: detailed.outputs[0]!, outputs: detailed.outputs, output, top, wallMs, layerTimes: detailed.layerTimes };
}

function decodeTask(path: LoadedPath, outputs: TensorData[]): { output: TaskOutput; top: Ranked[] } {
  const graph = path.model.graph;
  switch (path.task) {
    case 'classify': {
      const scores = toScores(outputs[0]!, path.model.outputs[0]!);
      return { output: { kind: 'classify', scores }, top: rank(scores, path.labels, 5) };
    }
    case 'detect': {
      const detections = decodeDetections(graph, outputs, path.head!, { labels: path.labels ?? [] }, path.metadata);
      return { output: { kind: 'detect', detections }, top: detections.map((d) => ({ index: d.class, label: d.label, score: d.score })) };
    }
    case 'segment': {
      const map = classMapOf(graph, outputs);
      const top = classHistogram(map, path.labels).map((h) => ({ index: h.class, label: h.label, score: h.fraction }));
      return { output: { kind: 'segment', map }, top };
    }
    case 'pose': {
      const keypoints = keypointsOf(graph, outputs);
      return { output: { kind: 'pose', keypoints }, top: keypoints.map((k, i) => ({ index: i, label: k.name, score: k.score })) };
    }
  }
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

export function rank(scores: Float64Array, labels: readonly string[] | undefined, k: number): Ranked[] {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
  return order.slice(0, k).map((index) => ({ index, label: labels?.[index] || `class ${index}`, score: scores[index]! }));
}

export function agreement(a: PathResult, b: PathResult): Agreement {
  const k = Math.min(5, a.top.length, b.top.length);
  const aTop = new Set(a.top.slice(0, k).map((r) => r.index));
  const overlap = b.top.slice(0, k).filter((r) => aTop.has(r.index)).length;
  const identical = a.outputs.length === b.outputs.length && a.outputs.every((x, j) => sameTensor(x, b.outputs[j]!));
  return { sameTop1: a.top[0]?.index === b.top[0]?.index, overlap, of: k, identical };
}

function sameTensor(x: TensorData, y: TensorData): boolean {
  return x.constructor === y.constructor && x.length === y.length && x.every((v, i) => v === y[i]);
}

export interface TaskAgreement {
  /** What the page prints, after the classify-style summary or instead of it. */
  text: string;
  data: Record<string, string>;
}

/** How two paths' task results agree: boxes matched at IoU ≥ 0.5, pixels of the same class, keypoints. */
export function taskAgreement(a: TaskOutput, b: TaskOutput): TaskAgreement | undefined {
  if (a.kind === 'detect' && b.kind === 'detect') {
    const used = new Set<number>();
    let matched = 0;
    for (const d of a.detections) {
      const j = b.detections.findIndex((e, i) => !used.has(i) && e.class === d.class && iou(d.box, e.box) >= 0.5);
      if (j >= 0) {
        used.add(j);
        matched++;
      }
    }
    return {
      text: `${matched} of ${a.detections.length} boxes agree (same class, IoU ≥ 0.5); ${b.detections.length} here`,
      data: { matched: String(matched), of: String(a.detections.length), here: String(b.detections.length) },
    };
  }
  if (a.kind === 'segment' && b.kind === 'segment' && a.map.classes.length === b.map.classes.length) {
    let same = 0;
    for (let i = 0; i < a.map.classes.length; i++) if (a.map.classes[i] === b.map.classes[i]) same++;
    const fraction = same / a.map.classes.length;
    return { text: `${(100 * fraction).toFixed(2)} % of pixels have the same class`, data: { pixelAgreement: String(fraction) } };
  }
  if (a.kind === 'pose' && b.kind === 'pose' && a.keypoints.length === b.keypoints.length) {
    const d = a.keypoints.map((k, i) => Math.hypot(k.x - b.keypoints[i]!.x, k.y - b.keypoints[i]!.y));
    const max = Math.max(0, ...d);
    return { text: `keypoints at most ${(100 * max).toFixed(2)} % of the image apart`, data: { maxDistance: String(max) } };
  }
  return undefined;
}
