// The public model API, the same in the browser and in Node:
//   const model = await OctetModel.load(bytes, { context });
//   const [scores] = await model.run(input);
//   model.info(); model.dispose();
// The GPU backend runs the int8 program; the CPU backend runs the reference (bit-exact to it).
import type { GpuContext } from '../gpu/context.ts';
import type { GpuMemoryStats } from '../gpu/memory.ts';
import { importTflite } from '../model/import.ts';
import { inspectGraph, type ModelSummary } from '../model/inspect.ts';
import type { Graph } from '../model/graph.ts';
import { prepareReference, type PreparedReference, type RequantizationMode } from '../reference/run.ts';
import { DisposedError, GpuProgram, InputError, isGpuBuffer, type GpuOutputRunOptions, type GpuProgramOptions, type LayerTime, type ModelInput, type RunOptions } from './gpu-program.ts';
import type { TensorData } from '../kernels/layout.ts';
import { batchGraph } from '../passes/batch.ts';
import { DEFAULT_REQUANTIZATION } from '../quant/requantization.ts';
import { isImageInput } from '../image/gpu-input.ts';
import { chooseInputRecipe } from '../image/preprocess.ts';
import { readTfliteMetadata, type ModelMetadata } from '../model/metadata.ts';

export type Backend = 'gpu' | 'cpu';

export interface LoadOptions {
  /** The GPU to run on; required for the 'gpu' backend (the Node entry acquires one itself). */
  context?: GpuContext;
  backend?: Backend;
  /** Default 'xnnpack': what the TFLite runtime (its default XNNPACK delegate) outputs. */
  requantization?: RequantizationMode;
  /** Name used in messages and reports; defaults to the model's own. */
  name?: string;
  /** Run n inputs per call (leading dimension 1 → n); refused with BatchError where the graph mixes the batch axis. */
  batch?: number;
  /**
   * Where a replacement GPU comes from when the device is lost: the next run acquires one,
   * rebuilds pipelines and uploads the weights again. Without it, runs after a loss reject.
   */
  reacquire?: () => Promise<GpuContext>;
  /** GPU backend: every activation stays computed and capturable (GpuProgramOptions.keepActivations). */
  keepActivations?: boolean;
}

export interface ModelInfo extends ModelSummary {
  backend: Backend;
  requantization: RequantizationMode;
  adapter?: string;
  /** Activation bytes allocated after liveness-based reuse (GPU backend). */
  activationBytesAllocated?: number;
  /** Bytes of packed weights and per-channel parameters uploaded to the GPU. */
  gpuConstantBytes?: number;
}

export interface DetailedResult<Output extends TensorData | GPUBuffer = TensorData> {
  outputs: Output[];
  captured: Map<number, TensorData>;
  layerTimes?: LayerTime[];
}

/**
 * What runs a loaded model: the GPU program or the CPU reference. OctetModel holds exactly one,
 * so no method has to guess which of two optionals is set.
 */
interface Executor {
  run(inputs: ModelInput[], options: RunOptions | GpuOutputRunOptions): Promise<DetailedResult<TensorData | GPUBuffer>>;
  /** The GPU's share of ModelInfo (absent on the CPU). */
  info(): Pick<ModelInfo, 'adapter' | 'activationBytesAllocated' | 'gpuConstantBytes'>;
  memory(): GpuMemoryStats;
  /** Rebuilds after a device loss (GPU with `reacquire` only). */
  readonly recoveries: number;
  dispose(): void;
}

class ReferenceExecutor implements Executor {
  readonly recoveries = 0;
  constructor(
    private readonly graph: Graph,
    private readonly reference: PreparedReference,
  ) {}

  async run(inputs: ModelInput[], options: RunOptions | GpuOutputRunOptions): Promise<DetailedResult> {
    if (options.outputs === 'gpu') throw new InputError("the 'cpu' backend has no GPU to keep outputs on (outputs: 'gpu')");
    const host = inputs.map((x, i) => {
      if (isGpuBuffer(x)) throw new InputError(`input ${i}: the 'cpu' backend takes host data (a TypedArray), not a GPUBuffer`);
      if (isImageInput(x)) {
        throw new InputError(`input ${i}: the 'cpu' backend takes host data (a TypedArray), not an ImageInput; preprocess the pixels with imageToModelInput, or load the model on the GPU`);
      }
      return x;
    });
    const all = this.reference.runAll(host);
    const captured = new Map<number, TensorData>();
    for (const id of options.capture ?? []) {
      const v = all.get(id);
      if (v) captured.set(id, v);
    }
    return { outputs: this.graph.outputs.map((id) => all.get(id)!), captured };
  }

  info() {
    return {};
  }

  memory(): GpuMemoryStats {
    return { liveBuffers: 0, liveBytes: 0 };
  }

  dispose(): void {}
}

class GpuExecutor implements Executor {
  private rebuilding: Promise<void> | undefined;
  recoveries = 0;

  constructor(
    private readonly graph: Graph,
    /** How the program was built; a rebuild after a device loss builds it alike. */
    private readonly buildOptions: GpuProgramOptions,
    private program: GpuProgram,
    private context: GpuContext,
    private readonly reacquire: (() => Promise<GpuContext>) | undefined,
  ) {}

  async run(inputs: ModelInput[], options: RunOptions | GpuOutputRunOptions): Promise<DetailedResult<TensorData | GPUBuffer>> {
    if (this.context.isLost && this.reacquire) await this.recover();
    return options.outputs === 'gpu' ? this.program.run(inputs, options) : this.program.run(inputs, options as RunOptions);
  }

  /** One rebuild on a fresh device, shared by every run that finds the device lost. */
  private recover(): Promise<void> {
    this.rebuilding ??= (async () => {
      const context = await this.reacquire!();
      const program = await GpuProgram.build(context, this.graph, this.buildOptions);
      this.program.dispose();
      this.program = program;
      this.context = context;
      this.recoveries++;
    })().finally(() => {
      this.rebuilding = undefined;
    });
    return this.rebuilding;
  }

  info() {
    return { adapter: describeContext(this.context), activationBytesAllocated: this.program.plan.activationBytes, gpuConstantBytes: this.program.weightBytes };
  }

  memory(): GpuMemoryStats {
    return this.program.memory();
  }

  dispose(): void {
    this.program.dispose();
  }
}

export class OctetModel {
  private disposed = false;

  private constructor(
    readonly graph: Graph,
    readonly backend: Backend,
    readonly requantization: RequantizationMode,
    private readonly executor: Executor,
    /** The model file's TFLite Support metadata, where it has usable metadata: the default ImageInput recipe follows it. */
    private readonly metadata: ModelMetadata | undefined,
  ) {}

  static async load(source: Uint8Array | ArrayBuffer | Graph, options: LoadOptions = {}): Promise<OctetModel> {
    const imported =
      source instanceof Uint8Array || source instanceof ArrayBuffer
        ? importTflite(source instanceof Uint8Array ? source : new Uint8Array(source), options.name)
        : source;
    const graph = options.batch && options.batch > 1 ? batchGraph(imported, options.batch) : imported;
    const backend = options.backend ?? 'gpu';
    const requantization = options.requantization ?? DEFAULT_REQUANTIZATION;
    const metadata = source instanceof Uint8Array || source instanceof ArrayBuffer ? metadataOf(source instanceof Uint8Array ? source : new Uint8Array(source)) : undefined;
    if (backend === 'cpu') {
      return new OctetModel(graph, backend, requantization, new ReferenceExecutor(graph, prepareReference(graph, { requantization })), metadata);
    }
    if (!options.context) throw new InputError("the 'gpu' backend needs a GPU context (options.context)");
    const buildOptions: GpuProgramOptions = { requantization, ...(options.keepActivations ? { keepActivations: true } : {}) };
    const program = await GpuProgram.build(options.context, graph, buildOptions);
    return new OctetModel(graph, backend, requantization, new GpuExecutor(graph, buildOptions, program, options.context, options.reacquire), metadata);
  }

  get inputs() {
    return this.graph.inputs.map((id) => this.graph.tensors[id]!);
  }

  get outputs() {
    return this.graph.outputs.map((id) => this.graph.tensors[id]!);
  }

  /** How many times the program was rebuilt on a new device after a loss. */
  get recoveries(): number {
    return this.executor.recoveries;
  }

  info(): ModelInfo {
    return { ...inspectGraph(this.graph), backend: this.backend, requantization: this.requantization, ...this.executor.info() };
  }

  /**
   * Runs the model on one input (or one per model input); resolves to the outputs. An input may
   * be a GPUBuffer on the model's device (GPU backend; see ModelInput for its layout and usage),
   * and `{ outputs: 'gpu' }` leaves the outputs on the GPU as GPUBuffers the caller destroys
   * (see GpuOutputRunOptions). An image input may also be an ImageInput, `{ image, recipe? }`: a
   * GPUTexture or browser image source resized, normalized and quantized on the GPU, byte for byte
   * as imageToModelInput on the same pixels; the recipe defaults to chooseInputRecipe's for this
   * model (its metadata, Octet's table, the dtype default).
   */
  run(inputs: ModelInput | ModelInput[], options: GpuOutputRunOptions): Promise<GPUBuffer[]>;
  run(inputs: ModelInput | ModelInput[], options?: RunOptions): Promise<TensorData[]>;
  async run(inputs: ModelInput | ModelInput[], options: RunOptions | GpuOutputRunOptions = {}): Promise<TensorData[] | GPUBuffer[]> {
    return (await this.runAny(inputs, options)).outputs as TensorData[] | GPUBuffer[];
  }

  /** Runs with options: capture intermediate tensors by id, per-dispatch times (timestamp-query, or wall time on any adapter: RunOptions.timing), outputs left on the GPU. */
  runDetailed(inputs: ModelInput | ModelInput[], options: GpuOutputRunOptions): Promise<DetailedResult<GPUBuffer>>;
  runDetailed(inputs: ModelInput | ModelInput[], options?: RunOptions): Promise<DetailedResult>;
  runDetailed(inputs: ModelInput | ModelInput[], options: RunOptions | GpuOutputRunOptions = {}): Promise<DetailedResult<TensorData | GPUBuffer>> {
    return this.runAny(inputs, options);
  }

  private async runAny(inputs: ModelInput | ModelInput[], options: RunOptions | GpuOutputRunOptions): Promise<DetailedResult<TensorData | GPUBuffer>> {
    if (this.disposed) throw new DisposedError(`model '${this.graph.name}' was disposed`);
    const list = Array.isArray(inputs) ? inputs : [inputs];
    // An ImageInput without a recipe takes the model's own: its metadata, Octet's table, the dtype default.
    const withRecipes = list.map((x, i) => {
      if (!isImageInput(x) || x.recipe || i >= this.graph.inputs.length) return x;
      const chosen = chooseInputRecipe(this.graph.name, this.inputs[i]!, this.metadata, i);
      return chosen ? { ...x, recipe: chosen.recipe } : x;
    });
    return this.executor.run(withRecipes, options);
  }

  /** Live GPU buffers and bytes this model holds (zero after dispose). */
  memory(): GpuMemoryStats {
    return this.executor.memory();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.executor.dispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}

/** The model's TFLite Support metadata, or undefined where it has none or none this reader takes (only the default image recipe reads it). */
function metadataOf(bytes: Uint8Array): ModelMetadata | undefined {
  try {
    return readTfliteMetadata(bytes);
  } catch {
    return undefined;
  }
}

export function describeContext(ctx: GpuContext): string {
  const a = ctx.caps.adapter;
  return [a.vendor, a.architecture, a.description].filter(Boolean).join(' / ') + (a.isFallbackAdapter ? ' (software)' : '');
}
