// The demo page: pick a task (classification, detection, segmentation, pose) and a model, give it
// an image or the camera, and see the int8 GPU answer next to the float32 path and the bit-exact
// CPU reference, drawn over the picture, with latency, weight memory and the adapter.
//
// All model work goes through one queue (`enqueue`): GPU programs are not meant to run
// concurrently, and one job at a time keeps the timings honest. CPU runs and image decoding happen
// in a Web Worker (worker-client.ts), so the page keeps answering while they run. Every job
// carries the generation it was queued for and is skipped once the user has moved on.
import {
  ImageDecodeError,
  NoWebGPUError,
  TaskError,
  describeContext,
  inspectGraph,
  requestGpuContext,
  type GpuContext,
  type Graph,
  type RgbImage,
} from '../src/index.ts';
import { AssetStore } from './assets.ts';
import { TASKS, isSampleImage, taskById, type ModelChoice, type Task } from './catalog.ts';
import { chartLegend, formatMs, layerChart } from './chart.ts';
import {
  FloatUnavailableError,
  agreement,
  fetchGraph,
  loadCpuReference,
  loadFloat,
  loadInt8,
  plainReason,
  runPath,
  runPathOnFrame,
  takesFramesOnGpu,
  frameRouteFor,
  type FrameRoute,
  taskAgreement,
  type LoadedPath,
  type PathId,
  type PathResult,
} from './engine.ts';

import { KEYPOINT_MIN_SCORE, drawImageTo, drawTaskOutput } from './overlay.ts';
import { decodeInWorker } from './worker-client.ts';

const PATH_IDS: PathId[] = ['int8', 'float', 'cpu'];
/** Path colours, as the cards' (style.css). */
const PATH_COLORS: Record<PathId, string> = { int8: '#2457d6', float: '#c2661b', cpu: '#2f8a4c' };
const PREVIEW_SIDE = 320;

function $(testId: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
  if (!el) throw new Error(`page is missing [data-testid=${testId}]`);
  return el;
}

const ui = {
  adapter: $('adapter'),
  banner: $('banner'),
  error: $('error'),
  tasks: $('task'),
  modelSelect: $('model-select') as HTMLSelectElement,
  compareFloat: $('compare-float') as HTMLInputElement,
  compareCpu: $('compare-cpu') as HTMLInputElement,
  modelStatus: $('model-status'),
  progress: $('download-progress') as HTMLProgressElement,
  dropzone: $('dropzone'),
  preview: $('preview') as HTMLCanvasElement,
  overlay: $('overlay') as HTMLCanvasElement,
  fps: $('fps'),
  camera: $('camera') as HTMLVideoElement,
  fileInput: $('file-input') as HTMLInputElement,
  webcam: $('webcam') as HTMLButtonElement,
  capture: $('capture') as HTMLButtonElement,
  imageName: $('image-name'),
  samples: $('samples'),
  status: $('status'),
  latency: $('latency'),
  memory: $('memory'),
  cards: { int8: $('result-int8'), float: $('result-float'), cpu: $('result-cpu') } as Record<PathId, HTMLElement>,
};

interface State {
  store: AssetStore | undefined;
  context: GpuContext | undefined;
  task: Task;
  choice: ModelChoice;
  graph: Promise<Graph> | undefined;
  paths: Partial<Record<PathId, Promise<LoadedPath>>>;
  image: { name: string; rgb: RgbImage } | undefined;
  results: Partial<Record<PathId, PathResult>>;
  /** Bumped by every new image or model: queued runs for an older one are skipped. */
  generation: number;
}

const params = new URLSearchParams(location.search);
const initialTask = taskById(params.get('task')) ?? TASKS[0]!;

/** How camera frames reach a GPU model: ?frames=gpu|cpu, else the adapter's choice (frameRouteFor). */
function frameRoute(): FrameRoute {
  const asked = params.get('frames');
  return asked === 'gpu' || asked === 'cpu' ? asked : frameRouteFor(state.context);
}

/**
 * ?model=PATH: one of the task's models, or any other .tflite of the asset folder, tried under the
 * task (a link to a model the catalog does not list yet).
 */
function choiceFromAddress(task: Task, path: string | null): ModelChoice | undefined {
  if (!path) return undefined;
  return task.models.find((m) => m.path === path) ?? (/^models\/.+\.tflite$/.test(path) ? { path, title: `${path.split('/').pop()} (from the address)` } : undefined);
}

const state: State = {
  store: undefined,
  context: undefined,
  task: initialTask,
  choice: choiceFromAddress(initialTask, params.get('model')) ?? initialTask.models.find((m) => m.path === initialTask.defaultModel)!,
  graph: undefined,
  paths: {},
  image: undefined,
  results: {},
  generation: 0,
};

// ---------------------------------------------------------------------------------------------
// The queue

let queue: Promise<void> = Promise.resolve();

function enqueue(job: () => Promise<void>): Promise<void> {
  queue = queue.then(job).catch((e: unknown) => showError(`Something went wrong: ${plainReason(e)}`));
  return queue;
}

/** Lets the browser paint the status before a long synchronous CPU run. */
const paint = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

// ---------------------------------------------------------------------------------------------
// Messages

function setStatus(state: 'idle' | 'loading' | 'running' | 'done' | 'error', text: string): void {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

function showError(text: string): void {
  ui.error.textContent = text;
  ui.error.hidden = false;
}

function clearError(): void {
  ui.error.hidden = true;
  ui.error.textContent = '';
}

function showBanner(html: string): void {
  ui.banner.innerHTML = html;
  ui.banner.hidden = false;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}

// ---------------------------------------------------------------------------------------------
// GPU

async function acquireGpu(): Promise<void> {
  if (params.get('gpu') === 'off') {
    noGpu('WebGPU was turned off for this page (?gpu=off).');
    return;
  }
  try {
    state.context = await requestGpuContext();
    const caps = state.context.caps;
    ui.adapter.textContent =
      `GPU: ${describeContext(state.context) || 'unnamed adapter'} · packed int8 dot product ${caps.paths.dot4I8Packed ? 'yes' : 'no (fallback kernels)'}` +
      ` · per-layer timing ${caps.paths.timestampQuery ? 'yes' : 'no'}`;
    ui.adapter.dataset.gpu = 'yes';
    state.context.onLost((e) => {
      state.context = undefined;
      noGpu(`The GPU device was lost (${e.reason}).`);
    });
  } catch (e) {
    noGpu(e instanceof NoWebGPUError ? e.message : `WebGPU failed to start: ${plainReason(e)}`);
  }
}

function noGpu(reason: string): void {
  ui.adapter.textContent = 'No GPU: everything runs on the CPU reference';
  ui.adapter.dataset.gpu = 'no';
  document.body.classList.add('no-gpu');
  showBanner(
    `<strong>No WebGPU here, so the int8 results come from the CPU reference</strong> (the same integer arithmetic, slower). ` +
      `${escapeHtml(reason)} To run on the GPU, open this page in a recent Chrome or Edge (desktop or Android), or in Firefox or Safari ` +
      `with WebGPU turned on, served from https:// or http://localhost.`,
  );
  ui.banner.dataset.kind = 'no-webgpu';
  ui.cards.int8.querySelector('[data-role="where"]')!.textContent = 'CPU reference (no WebGPU)';
  ui.compareCpu.checked = false;
  ui.compareCpu.disabled = true;
  document.querySelector('.compare legend')!.textContent = 'Compare the int8 result with';
  state.paths = {};
}

// ---------------------------------------------------------------------------------------------
// Task, model, samples

function renderTasks(): void {
  for (const task of TASKS) {
    const label = document.createElement('label');
    const radio = document.createElement('input');
    radio.type = 'radio';
    radio.name = 'task';
    radio.value = task.id;
    radio.dataset.testid = `task-${task.id}`;
    radio.checked = task.id === state.task.id;
    radio.addEventListener('change', () => selectTask(task));
    const text = document.createElement('span');
    text.innerHTML = `<strong>${escapeHtml(task.title)}</strong> <small>${escapeHtml(task.blurb)}</small>`;
    label.append(radio, text);
    ui.tasks.append(label);
  }
}

function renderModelOptions(): void {
  ui.modelSelect.replaceChildren();
  const listed = state.task.models.includes(state.choice) ? state.task.models : [...state.task.models, state.choice];
  for (const m of listed) {
    if (state.store && !state.store.has(m.path)) continue;
    const opt = document.createElement('option');
    opt.value = m.path;
    opt.textContent = m.title;
    opt.selected = m.path === state.choice.path;
    ui.modelSelect.append(opt);
  }
}

function renderSamples(): void {
  ui.samples.replaceChildren();
  const store = state.store!;
  for (const entry of store.index.images.filter((e) => isSampleImage(e.path))) {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.testid = 'sample';
    button.dataset.path = entry.path;
    const name = entry.path.split('/').pop()!;
    button.title = name;
    const img = document.createElement('img');
    img.src = store.url(entry.path);
    img.alt = name;
    img.loading = 'lazy';
    button.append(img);
    button.addEventListener('click', () => void loadSample(entry.path));
    li.append(button);
    ui.samples.append(li);
  }
}

function selectTask(task: Task): void {
  state.task = task;
  const choice = task.models.find((m) => m.path === task.defaultModel && state.store?.has(m.path)) ?? task.models.find((m) => state.store?.has(m.path));
  if (!choice) {
    showError(`None of the ${task.title} models is available here.`);
    return;
  }
  state.choice = choice;
  renderModelOptions();
  void selectModel(choice);
}

function disposePaths(): void {
  const old = state.paths;
  state.paths = {};
  for (const p of Object.values(old)) void p.then((loaded) => loaded.model.dispose(), () => undefined);
}

async function selectModel(choice: ModelChoice): Promise<void> {
  state.choice = choice;
  state.generation++;
  disposePaths();
  state.results = {};
  clearError();
  for (const id of PATH_IDS) resetCard(id);
  clearOverlay();
  renderMemory();
  renderLatency();
  const store = state.store!;
  const name = choice.path.split('/').pop()!;
  ui.modelStatus.textContent = `Loading ${name}…`;
  ui.progress.hidden = false;
  ui.progress.removeAttribute('value');
  state.graph = fetchGraph(store, choice.path, (loaded, total) => {
    if (total) {
      ui.progress.max = total;
      ui.progress.value = loaded;
    }
  });
  const graph = state.graph;
  const generation = state.generation;
  const stillCurrent = (): boolean => state.choice === choice;
  try {
    await graph;
  } catch (e) {
    if (!stillCurrent()) return;
    ui.progress.hidden = true;
    ui.modelStatus.textContent = `Could not load ${name}.`;
    showError(
      `The model ${name} could not be loaded: ${plainReason(e)}. ` +
        (store.mode === 'remote' ? 'It is downloaded from its public source; check the connection, or pick another model.' : 'Pick another model.'),
    );
    setStatus('error', 'No model loaded.');
    return;
  } finally {
    if (stillCurrent()) ui.progress.hidden = true;
  }
  if (!stillCurrent()) return;
  // Build the int8 path right away: the GPU pipelines take a moment to compile.
  await enqueue(async () => {
    if (!stillCurrent()) return;
    const loaded = await ensurePath('int8', state.generation);
    if (!stillCurrent()) return;
    ui.modelStatus.textContent = loaded
      ? `${name} ready (${loaded.info.opCount} ops, input ${loaded.model.inputs[0]!.shape.join('×')}).`
      : `${name} loaded; the int8 path failed (see below).`;
    renderMemory();
  });
  if (state.image && stillCurrent() && generation === state.generation) classify();
}

/** Loads a path for the current model once; undefined (with the card explaining why) if it cannot run. */
async function ensurePath(id: PathId, generation: number): Promise<LoadedPath | undefined> {
  const store = state.store!;
  if (!state.graph) return undefined;
  const choice = state.choice;
  // Only a path loaded now says "ready": the live camera asks every frame, and must not blank the card.
  const fresh = !state.paths[id];
  if (!state.paths[id]) {
    const graph = await state.graph;
    // The user may have picked another model meanwhile; never cache this one's path under it.
    if (choice !== state.choice) return undefined;
    setCard(id, 'loading', id === 'int8' && state.context ? 'Compiling GPU kernels…' : 'Loading…');
    await paint();
    if (choice !== state.choice || state.paths[id]) return state.paths[id];
    state.paths[id] =
      id === 'int8'
        ? loadInt8(store, graph, choice.path, state.context, state.task.kind)
        : id === 'cpu'
          ? loadCpuReference(store, graph, choice.path, state.task.kind)
          : loadFloat(store, choice, graph, state.context, state.task.kind, (loaded, total) => {
              if (total) setCard('float', 'loading', `Downloading the float model… ${Math.round((100 * loaded) / total)} %`);
            });
  }
  try {
    const loaded = await state.paths[id]!;
    if (fresh && generation === state.generation) setCard(id, 'ready', loaded.note);
    return loaded;
  } catch (e) {
    if (generation !== state.generation) return undefined;
    if (e instanceof FloatUnavailableError) setCard(id, 'unavailable', `Not available for this model: ${e.message}.`);
    else if (e instanceof TaskError) setCard(id, 'error', `This model does not fit the ${state.task.title.toLowerCase()} task: ${plainReason(e)}`);
    else if (id === 'int8' && state.context) {
      setCard(id, 'error', `The GPU can't run this model yet: ${plainReason(e)}. The CPU reference still can: tick "CPU reference" above.`);
    } else setCard(id, 'error', `Could not prepare this path: ${plainReason(e)}`);
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Images

async function loadSample(path: string): Promise<void> {
  clearError();
  setStatus('loading', `Loading ${path.split('/').pop()}…`);
  try {
    const bytes = await state.store!.bytes(path);
    await useImageBytes(bytes, path.split('/').pop()!);
  } catch (e) {
    showError(`The sample ${path} could not be loaded: ${plainReason(e)}`);
    setStatus('error', 'No image.');
  }
}

async function useImageFile(file: File): Promise<void> {
  clearError();
  await useImageBytes(new Uint8Array(await file.arrayBuffer()), file.name, file);
}

/**
 * JPEG, PNG and BMP go through Octet's own decoder (the same pixels as in Node and in the tests);
 * anything else the browser can decode (WebP, AVIF, HEIC on Safari) goes through the browser.
 */
async function useImageBytes(bytes: Uint8Array, name: string, blob?: Blob): Promise<void> {
  let rgb: RgbImage;
  try {
    rgb = await decodeInWorker(bytes, name);
  } catch (e) {
    const browserDecoded = e instanceof ImageDecodeError && e.reason.startsWith('unknown image format') ? await decodeWithBrowser(blob ?? new Blob([bytes as Uint8Array<ArrayBuffer>])) : undefined;
    if (!browserDecoded) {
      const reason = e instanceof ImageDecodeError ? e.reason : plainReason(e);
      showError(`“${name}” could not be read as an image (${reason}). Try a JPEG, PNG or BMP photo.`);
      setStatus('error', 'That file is not an image we can read.');
      return;
    }
    rgb = browserDecoded;
  }
  setImage(name, rgb);
}

async function decodeWithBrowser(blob: Blob): Promise<RgbImage | undefined> {
  try {
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    return rgbFromImageData(ctx.getImageData(0, 0, canvas.width, canvas.height));
  } catch {
    return undefined;
  }
}

function rgbFromImageData(data: ImageData): RgbImage {
  const rgb = new Uint8Array(data.width * data.height * 3);
  for (let i = 0, j = 0; i < data.data.length; i += 4, j += 3) {
    rgb[j] = data.data[i]!;
    rgb[j + 1] = data.data[i + 1]!;
    rgb[j + 2] = data.data[i + 2]!;
  }
  return { width: data.width, height: data.height, data: rgb };
}

function setImage(name: string, rgb: RgbImage): void {
  if (live && name !== 'camera picture') stopCamera();
  state.image = { name, rgb };
  drawPreview(rgb);
  ui.imageName.textContent = `${name} · ${rgb.width}×${rgb.height}`;
  classify();
}

function drawPreview(rgb: RgbImage | ImageBitmap): void {
  drawImageTo(ui.preview, rgb, PREVIEW_SIDE);
  ui.overlay.width = ui.preview.width;
  ui.overlay.height = ui.preview.height;
  clearOverlay();
  ui.preview.hidden = false;
  ui.overlay.hidden = false;
}

function clearOverlay(): void {
  ui.overlay.getContext('2d')!.clearRect(0, 0, ui.overlay.width, ui.overlay.height);
  for (const key of ['boxes', 'floatBoxes', 'maskPixels', 'keypoints', 'path']) delete ui.overlay.dataset[key];
}

/**
 * The picture's overlay: the int8 result (the CPU reference's when int8 has none), and for boxes
 * and skeletons the float32 result dashed over it, so the two can be compared in place.
 */
function renderOverlay(): void {
  clearOverlay();
  if (state.task.kind === 'classify') return;
  const ctx = ui.overlay.getContext('2d')!;
  const baseId: PathId | undefined = state.results.int8 ? 'int8' : state.results.cpu ? 'cpu' : state.results.float ? 'float' : undefined;
  if (!baseId) return;
  const drawn = drawTaskOutput(ctx, state.results[baseId]!.output, { color: PATH_COLORS[baseId] });
  ui.overlay.dataset.path = baseId;
  ui.overlay.dataset.boxes = String(drawn.boxes);
  ui.overlay.dataset.maskPixels = String(drawn.maskPixels);
  ui.overlay.dataset.keypoints = String(drawn.keypoints);
  const float = state.results.float;
  if (baseId !== 'float' && float && state.task.kind !== 'segment') {
    const second = drawTaskOutput(ctx, float.output, { color: PATH_COLORS.float, dashed: true, labels: false });
    ui.overlay.dataset.floatBoxes = String(second.boxes);
  }
}

// Camera: live. Every frame the int8 path is free for is run and drawn (boxes, mask, skeleton
// or top class) with the frame rate shown; "Take the picture" keeps one frame and runs every path.
let cameraStream: MediaStream | undefined;
/** The running live loop; `stop` ends it at its next frame. */
let live: { stop: boolean } | undefined;

async function startCamera(): Promise<void> {
  clearError();
  if (!navigator.mediaDevices?.getUserMedia) {
    showError('This browser gives no camera access here: cameras need a page served from https:// or http://localhost.');
    return;
  }
  try {
    cameraStream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch (e) {
    const name = (e as DOMException).name;
    showError(
      name === 'NotAllowedError'
        ? 'Camera permission was refused. Allow the camera for this page in the browser, or pick an image instead.'
        : name === 'NotFoundError' || name === 'OverconstrainedError'
          ? 'No camera was found. Pick an image instead.'
          : `The camera could not start (${plainReason(e)}). Pick an image instead.`,
    );
    return;
  }
  ui.camera.srcObject = cameraStream;
  ui.capture.hidden = false;
  delete ui.fps.dataset.frames;
  delete ui.fps.dataset.fps;
  delete ui.fps.dataset.input;
  try {
    await ui.camera.play();
  } catch {
    // autoplay refusals leave the element paused; a capture still reads the current frame
  }
  if (live) live.stop = true;
  live = { stop: false };
  void liveLoop(live);
}

function grabFrame(): RgbImage | undefined {
  const video = ui.camera;
  if (!cameraStream || video.videoWidth === 0) return undefined;
  const canvas = new OffscreenCanvas(video.videoWidth, video.videoHeight);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(video, 0, 0);
  return rgbFromImageData(ctx.getImageData(0, 0, canvas.width, canvas.height));
}

const nextFrame = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => resolve()));

/** The live frame state.image reads its pixels from (closed when the next one replaces it). */
let shownFrame: ImageBitmap | undefined;

/** The pixels of a frame kept as an ImageBitmap, read back only where something asks for them. */
function lazyPixels(bitmap: ImageBitmap): () => RgbImage {
  let rgb: RgbImage | undefined;
  return () => {
    if (!rgb) {
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      rgb = rgbFromImageData(ctx.getImageData(0, 0, canvas.width, canvas.height));
    }
    return rgb;
  };
}

async function liveLoop(session: { stop: boolean }): Promise<void> {
  state.generation++;
  state.results = {};
  for (const id of PATH_IDS) if (id !== 'int8') setCard(id, enabled(id) ? 'idle' : 'off', 'Live camera: int8 only. Take the picture to compare.');
  renderAgreements();
  const times: number[] = [];
  while (!session.stop && cameraStream) {
    if (ui.camera.videoWidth === 0) {
      await nextFrame();
      continue;
    }
    // One ImageBitmap per frame serves the model input, the preview and (read back only when
    // asked) the pixels: on the GPU the frame is resized, normalized and quantized there, so
    // classifying a frame reads no pixels on the CPU; the CPU reference takes its pixels.
    const frame = await createImageBitmap(ui.camera);
    const pixels = lazyPixels(frame);
    const generation = state.generation;
    let shownNow = false;
    await enqueue(async () => {
      const loaded = await ensurePath('int8', generation);
      if (!loaded || session.stop || generation !== state.generation) return;
      const result = await runPathOnFrame(loaded, frame, pixels, false, frameRoute());
      if (session.stop || generation !== state.generation) return;
      // How frames reach the model: 'gpu' (the frame itself, preprocessed on the GPU) or 'cpu' (its pixels).
      ui.fps.dataset.input = takesFramesOnGpu(loaded, frameRoute()) ? 'gpu' : 'cpu';
      // The frame shown before is no one's any more (state.image is this one now).
      shownFrame?.close();
      shownFrame = frame;
      shownNow = true;
      state.image = {
        name: 'camera',
        get rgb() {
          return pixels();
        },
      };
      drawPreview(frame);
      state.results = { int8: result };
      renderResult('int8', loaded, result);
      renderOverlay();
      renderLatency();
      setStatus('done', `camera: ${summary('int8')}`);
    });
    if (!shownNow) frame.close();
    if (session.stop) break;
    ui.fps.dataset.frames = String(Number(ui.fps.dataset.frames ?? 0) + 1);
    times.push(performance.now());
    if (times.length > 10) times.shift();
    if (times.length >= 2) {
      const fps = (1000 * (times.length - 1)) / (times.at(-1)! - times[0]!);
      ui.fps.hidden = false;
      ui.fps.dataset.fps = fps.toFixed(2);
      ui.fps.textContent = `Live camera: ${fps.toFixed(1)} frames/s (int8 ${state.context ? 'GPU' : 'CPU reference'})`;
    }
    await nextFrame();
  }
}

function captureFrame(): void {
  const frame = grabFrame();
  if (!frame) {
    showError('The camera has no picture yet; wait a moment and try again.');
    return;
  }
  stopCamera();
  setImage('camera picture', frame);
}

function stopCamera(): void {
  if (live) live.stop = true;
  live = undefined;
  cameraStream?.getTracks().forEach((t) => t.stop());
  cameraStream = undefined;
  ui.camera.srcObject = null;
  ui.camera.hidden = true;
  ui.capture.hidden = true;
  ui.fps.hidden = true;
}

// ---------------------------------------------------------------------------------------------
// Classification

function enabled(id: PathId): boolean {
  if (id === 'int8') return true;
  if (id === 'float') return ui.compareFloat.checked;
  return ui.compareCpu.checked && !!state.context;
}

function classify(): void {
  const generation = ++state.generation;
  state.results = {};
  for (const id of PATH_IDS) if (enabled(id)) resetCard(id);
  renderLatency();
  void runEnabledPaths(generation);
}

async function runEnabledPaths(generation: number): Promise<void> {
  for (const id of PATH_IDS) if (enabled(id)) await runOne(id, generation);
  await reportDone(generation);
}

function reportDone(generation: number): Promise<void> {
  return enqueue(async () => {
    if (generation !== state.generation || !state.image) return;
    setStatus('done', `${state.image.name}: ${state.results.int8 ? summary('int8') : 'the int8 path gave no result (see below).'}`);
  });
}

/** One line on a path's result, for the status line. */
function summary(id: PathId): string {
  const r = state.results[id];
  if (!r) return 'no result';
  const out = r.output;
  switch (out.kind) {
    case 'classify': {
      const top = r.top[0];
      return top ? `${top.label} (${(top.score * 100).toFixed(1)} %)` : 'no classes';
    }
    case 'detect':
      return out.detections.length === 0
        ? 'no objects above the threshold'
        : `${out.detections.length} object${out.detections.length === 1 ? '' : 's'}: ${out.detections
            .slice(0, 3)
            .map((d) => `${d.label} ${(100 * d.score).toFixed(0)} %`)
            .join(', ')}`;
    case 'segment': {
      const shown = r.top.filter((t) => t.index !== 0).slice(0, 3);
      return shown.length ? shown.map((t) => `${t.label} ${(100 * t.score).toFixed(1)} % of the picture`).join(', ') : 'background only';
    }
    case 'pose':
      return `${out.keypoints.filter((k) => k.score >= KEYPOINT_MIN_SCORE).length} of ${out.keypoints.length} keypoints found`;
  }
}

function runOne(id: PathId, generation: number): Promise<void> {
  return enqueue(async () => {
    if (generation !== state.generation || !state.image || !enabled(id)) return;
    const label = id === 'int8' ? (state.context ? 'int8 on the GPU' : 'int8 on the CPU reference') : id === 'float' ? 'the float32 path' : 'the CPU reference';
    setStatus('running', `Running ${label}…`);
    const loaded = await ensurePath(id, generation);
    if (!loaded || generation !== state.generation) return;
    setCard(id, 'running', `${loaded.note} · running…`);
    await paint();
    try {
      const result = await runPath(loaded, state.image.rgb, id === 'int8' && !!state.context?.hasTimestamps);
      if (generation !== state.generation) return;
      state.results[id] = result;
      renderResult(id, loaded, result);
    } catch (e) {
      if (generation !== state.generation) return;
      setCard(id, 'error', `This run failed: ${plainReason(e)}`);
    }
    renderAgreements();
    renderOverlay();
    renderLatency();
    renderMemory();
  });
}

function onCompareToggle(id: PathId): void {
  if (!enabled(id)) {
    setCard(id, 'off', 'Turned off.');
    delete state.results[id];
    renderAgreements();
    renderLatency();
    return;
  }
  if (!state.image) {
    resetCard(id);
    return;
  }
  // Only the newly ticked path runs; the others keep their results for this image.
  const generation = state.generation;
  resetCard(id);
  void runOne(id, generation).then(() => reportDone(generation));
}

// ---------------------------------------------------------------------------------------------
// Rendering

function card(id: PathId): { root: HTMLElement; note: HTMLElement; top5: HTMLElement; meta: HTMLElement; view: HTMLCanvasElement } {
  const root = ui.cards[id];
  return {
    root,
    view: root.querySelector<HTMLCanvasElement>('[data-role="view"]')!,
    note: root.querySelector<HTMLElement>('[data-role="note"]')!,
    top5: root.querySelector<HTMLElement>('[data-role="top5"]')!,
    meta: root.querySelector<HTMLElement>('[data-role="meta"]')!,
  };
}

type CardState = 'idle' | 'loading' | 'ready' | 'running' | 'done' | 'error' | 'unavailable' | 'off';

function setCard(id: PathId, cardState: CardState, note: string): void {
  const c = card(id);
  c.root.dataset.state = cardState;
  c.note.textContent = note;
  if (cardState !== 'done') {
    c.top5.replaceChildren();
    c.meta.textContent = '';
    c.view.hidden = true;
  }
}

function resetCard(id: PathId): void {
  if (!enabled(id)) {
    setCard(id, 'off', id === 'cpu' && !state.context ? 'The int8 result above already comes from the CPU reference.' : 'Turned off.');
  } else {
    setCard(id, 'idle', state.image ? 'Waiting…' : 'Pick an image.');
  }
  const agreementEl = ui.cards[id].querySelector<HTMLElement>('.agreement');
  if (agreementEl) {
    agreementEl.textContent = '';
    delete agreementEl.dataset.sameTop1;
  }
}

function renderResult(id: PathId, loaded: LoadedPath, result: PathResult): void {
  const c = card(id);
  c.root.dataset.state = 'done';
  c.note.textContent = loaded.note;
  c.top5.replaceChildren();
  // Beside the others: this path's own result drawn on the picture (not for classification).
  c.view.hidden = result.output.kind === 'classify' || !state.image;
  if (!c.view.hidden) {
    drawImageTo(c.view, state.image!.rgb, PREVIEW_SIDE);
    const drawn = drawTaskOutput(c.view.getContext('2d')!, result.output, { color: PATH_COLORS[id] });
    c.view.dataset.boxes = String(drawn.boxes);
    c.view.dataset.keypoints = String(drawn.keypoints);
    c.view.dataset.maskPixels = String(drawn.maskPixels);
  }
  result.top.slice(0, 10).forEach((r, rank) => {
    const li = document.createElement('li');
    li.dataset.index = String(r.index);
    const name = document.createElement('span');
    name.className = 'label';
    name.textContent = r.label;
    if (rank === 0) name.dataset.testid = `top1-${id}`;
    const bar = document.createElement('span');
    bar.className = 'bar';
    const fill = document.createElement('i');
    fill.style.width = `${Math.max(0, Math.min(1, r.score)) * 100}%`;
    bar.append(fill);
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = r.score.toFixed(3);
    li.append(name, bar, score);
    c.top5.append(li);
  });
  c.meta.textContent = `${formatMs(result.wallMs)} wall time · ${loaded.where === 'gpu' ? 'GPU' : 'CPU'}`;
}

/**
 * Each comparison path against the int8 GPU result; when the GPU path has none (a model it cannot
 * run yet), the float path is compared with the CPU reference instead, and says so.
 */
function renderAgreements(): void {
  for (const id of ['float', 'cpu'] as const) {
    const el = $(`agreement-${id}`);
    const other = state.results[id];
    const baseId: PathId | undefined = state.results.int8 ? 'int8' : id === 'float' && state.results.cpu ? 'cpu' : undefined;
    for (const k of ['matched', 'of', 'here', 'pixelAgreement', 'maxDistance']) delete el.dataset[k];
    if (!baseId || !other) {
      el.textContent = '';
      delete el.dataset.sameTop1;
      delete el.dataset.against;
      continue;
    }
    const a = agreement(state.results[baseId]!, other);
    const against = baseId === 'int8' ? (state.context ? 'int8 GPU' : 'int8') : 'CPU reference';
    el.dataset.against = baseId;
    el.dataset.sameTop1 = String(a.sameTop1);
    el.dataset.overlap = String(a.overlap);
    el.dataset.identical = String(a.identical);
    const task = taskAgreement(state.results[baseId]!.output, other.output);
    for (const [k, v] of Object.entries(task?.data ?? {})) el.dataset[k] = v;
    const parts = task
      ? [`against ${against}: ${task.text}`]
      : [a.sameTop1 ? `✓ same top-1 as ${against}` : `✗ different top-1 from ${against}`, `top-5 overlap ${a.overlap}/${a.of}`];
    if (id === 'cpu') parts.push(a.identical ? 'output bytes identical' : 'output bytes differ');
    el.textContent = parts.join(' · ');
  }
}

function renderLatency(): void {
  const box = ui.latency;
  box.replaceChildren();
  const rows = PATH_IDS.filter((id) => state.results[id]);
  if (rows.length === 0) {
    box.innerHTML = '<p class="muted">Runs appear here.</p>';
    return;
  }
  const int8 = state.results.int8;
  if (int8?.layerTimes?.length) {
    const totalMs = int8.layerTimes.reduce((s, t) => s + t.ns / 1e6, 0);
    const caption = document.createElement('p');
    caption.textContent = `int8 GPU time per layer: ${formatMs(totalMs)} over ${int8.layerTimes.length} dispatches (timestamp-query).`;
    const chart = layerChart(int8.layerTimes);
    chart.dataset.testid = 'layer-chart';
    box.append(caption, chart, chartLegend());
  } else if (int8 && state.context && !state.context.hasTimestamps) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = 'This GPU does not offer timestamp queries, so only wall times are shown.';
    box.append(p);
  }
  const table = document.createElement('table');
  table.dataset.testid = 'wall-times';
  table.innerHTML = '<thead><tr><th>Path</th><th>Wall time</th></tr></thead>';
  const body = document.createElement('tbody');
  for (const id of rows) {
    const tr = document.createElement('tr');
    const name = id === 'int8' ? (state.context ? 'int8, GPU' : 'int8, CPU reference') : id === 'float' ? 'float32' : 'CPU reference';
    tr.innerHTML = `<td>${name}</td><td>${formatMs(state.results[id]!.wallMs)}</td>`;
    body.append(tr);
  }
  table.append(body);
  box.append(table);
}

/** Weight sizes come from the graph itself, so they show even when the GPU path cannot run. */
function renderMemory(): void {
  const box = ui.memory;
  const choice = state.choice;
  const settled = (p: Promise<unknown> | undefined): Promise<PromiseSettledResult<unknown>> =>
    p ? Promise.allSettled([p]).then(([r]) => r!) : Promise.resolve({ status: 'rejected', reason: undefined });
  void Promise.all([settled(state.graph), settled(state.paths.int8), settled(state.paths.float)]).then(([graphR, int8R, floatR]) => {
    if (choice !== state.choice) return;
    if (graphR.status !== 'fulfilled') {
      box.innerHTML = '<p class="muted">Load a model to see its size.</p>';
      return;
    }
    const summary = inspectGraph(graphR.value as Graph);
    const int8 = int8R.status === 'fulfilled' ? (int8R.value as LoadedPath) : undefined;
    const floatTwin = floatR.status === 'fulfilled' && (floatR.value as LoadedPath).source !== choice.path ? (floatR.value as LoadedPath) : undefined;
    const floatBytes = floatTwin ? floatTwin.info.weightBytesStored : summary.weightBytesFloat32;
    const floatWhat = floatTwin ? 'float32 twin model' : 'same weights in float32';
    const max = Math.max(summary.weightBytesStored, floatBytes, 1);
    box.replaceChildren();
    const list = document.createElement('dl');
    list.className = 'memory-bars';
    const row = (label: string, bytes: number, cls: string): void => {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.innerHTML = `<span class="bar ${cls}"><i style="width:${((bytes / max) * 100).toFixed(1)}%"></i></span> ${formatBytes(bytes)}`;
      list.append(dt, dd);
    };
    row('int8 weights', summary.weightBytesStored, 'int8');
    row(floatWhat, floatBytes, 'float');
    box.append(list);
    const p = document.createElement('p');
    p.dataset.testid = 'memory-ratio';
    let text = `${(floatBytes / Math.max(summary.weightBytesStored, 1)).toFixed(1)}× smaller in 8 bits (${summary.parameterCount.toLocaleString('en')} parameters).`;
    const gpu = int8?.where === 'gpu' ? int8.info : undefined;
    if (gpu?.gpuConstantBytes !== undefined) {
      text += ` On the GPU: ${formatBytes(gpu.gpuConstantBytes)} of packed weights and parameters`;
      text += gpu.activationBytesAllocated !== undefined ? `, ${formatBytes(gpu.activationBytesAllocated)} of activations after buffer reuse.` : '.';
    }
    p.textContent = text;
    box.append(p);
  });
}

// ---------------------------------------------------------------------------------------------
// Wiring

function wire(): void {
  ui.modelSelect.addEventListener('change', () => {
    const choice = [...state.task.models, state.choice].find((m) => m.path === ui.modelSelect.value);
    if (choice) void selectModel(choice);
  });
  ui.compareFloat.addEventListener('change', () => onCompareToggle('float'));
  ui.compareCpu.addEventListener('change', () => onCompareToggle('cpu'));
  ui.fileInput.addEventListener('change', () => {
    const file = ui.fileInput.files?.[0];
    if (file) void useImageFile(file);
    ui.fileInput.value = '';
  });
  ui.webcam.addEventListener('click', () => void startCamera());
  ui.capture.addEventListener('click', captureFrame);
  const dz = ui.dropzone;
  dz.addEventListener('dragover', (e) => {
    e.preventDefault();
    dz.classList.add('over');
  });
  dz.addEventListener('dragleave', () => dz.classList.remove('over'));
  dz.addEventListener('drop', () => dz.classList.remove('over'));
  dz.addEventListener('keydown', (e) => {
    // Only the zone itself: Enter on the buttons inside it must not open the file dialog too.
    if (e.target === dz && (e.key === 'Enter' || e.key === ' ')) ui.fileInput.click();
  });
  // A file dropped beside the zone would otherwise make the browser navigate away to it.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    const file = e.dataTransfer?.files[0];
    if (file) void useImageFile(file);
  });
}

async function main(): Promise<void> {
  renderTasks();
  wire();
  if (params.get('compare') === 'none') {
    ui.compareFloat.checked = false;
    ui.compareCpu.checked = false;
  }
  for (const id of PATH_IDS) resetCard(id);
  setStatus('loading', 'Starting…');
  const [store] = await Promise.all([AssetStore.open(), acquireGpu()]);
  state.store = store;
  if (store.mode === 'remote') {
    ui.modelStatus.textContent = 'The local assets are not served here: models download from their public source (sha256 checked).';
  }
  if (!store.has(state.choice.path)) {
    const fallback = state.task.models.find((m) => store.has(m.path));
    if (!fallback) {
      showError(`No ${state.task.title} model is available: the assets folder has none and none can be downloaded.`);
      setStatus('error', 'No model.');
      return;
    }
    state.choice = fallback;
  }
  renderModelOptions();
  renderSamples();
  document.body.dataset.ready = 'true';
  setStatus('idle', 'Pick an image to classify.');
  await selectModel(state.choice);
}

void main().catch((e: unknown) => {
  showError(`The page failed to start: ${plainReason(e)}`);
  setStatus('error', 'Failed to start.');
});
