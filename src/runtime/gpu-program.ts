// The int8 GPU program of one graph: everything that does not depend on the input is built once
// (packed weights, per-channel parameters, uniforms, pipelines, bind groups, activation buffers
// assigned by liveness). A run writes the inputs (or, for GPUBuffer inputs, packs them on the GPU),
// encodes every step into one command buffer, submits once and reads the outputs back (or leaves
// them on the GPU, unpacked into buffers the caller owns).
import { OctetError } from '../errors.ts';
import { xnnpackDelegateApplies } from '../model/tflite-delegation.ts';
import { DeviceLostError, GpuValidationError } from '../gpu/errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { GpuBufferTracker, type GpuMemoryStats } from '../gpu/memory.ts';
import { BUFFER_USAGE } from '../gpu/usage.ts';
import { operatorName, tensorElementCount, type Graph, type TensorIR } from '../model/graph.ts';
import { lowerOp } from '../kernels/registry.ts';
import { checkKernelTiles, tunedTiles, type KernelTiles } from '../kernels/tuned-tiles.ts';
import { formatWorkgroupConvTile, prefersWorkgroupTiles, workgroupConvMisfit, type ConvKernel } from '../kernels/conv2d-shared.ts';
import { LoweringError, preferredInt8Arithmetic, workgroupsFor, type Int8Arithmetic, type LoweringContext, type RequantizationMode, type StepSpec } from '../kernels/lowering.ts';
import { fromGpuLayout, gpuByteLength, isEightBit, roundUp4, toGpuLayout, type TensorData } from '../kernels/layout.ts';
import { plainLayoutGather, type PlainDirection } from '../kernels/relayout.ts';
import { planBuffers, type Plan } from './plan.ts';
import { GPU_LOAD_PASSES, runPasses } from '../passes/pipeline.ts';
import { splitHostTail, type HostTail } from './host-tail.ts';
import { DEFAULT_REQUANTIZATION } from '../quant/requantization.ts';
import { checkImageSource, checkImageTarget, checkImageTensor, GpuImageInput, ImageInputError, isGpuTexture, isImageInput, type ImageInput } from '../image/gpu-input.ts';
import { chooseInputRecipe, type InputRecipe } from '../image/preprocess.ts';

export class InputError extends OctetError {
  override name = 'InputError';
  readonly code = 'INPUT';
}

export class DisposedError extends OctetError {
  override name = 'DisposedError';
  readonly code = 'DISPOSED';
}

const { STORAGE, UNIFORM, COPY_SRC, COPY_DST, MAP_READ, QUERY_RESOLVE } = BUFFER_USAGE;

type EncodedStep =
  | { kind: 'dispatch'; label: string; pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; workgroups: [number, number, number]; opPosition: number }
  | { kind: 'copy'; label: string; from: GPUBuffer; to: GPUBuffer; bytes: number; opPosition: number };

/** One encoded step of a program (GpuProgram.stepList). */
export interface StepInfo {
  kind: 'dispatch' | 'copy';
  label: string;
  opPosition: number;
}

export interface LayerTime {
  label: string;
  /** The dispatching op's OpIR.index: the model's operator index, or a fresh one for an op a load pass inserted. */
  opIndex: number;
  /** Only for an op a load pass inserted (OpIR.origin): the model operator it serves. */
  origin?: number;
  ns: number;
}

/**
 * One input of a run: host data in the input's dtype (see checkInput), or a GPUBuffer on the
 * model's own device holding the same tensor in its plain dense layout: the bytes its TypedArray
 * would hold (row-major, little-endian; int8/uint8 one byte an element, float32/int32 four, int64
 * eight), from offset 0, the buffer at least that many bytes rounded up to a multiple of 4. An
 * 8-bit input's buffer needs GPUBufferUsage.STORAGE (a kernel packs it), any other COPY_SRC (it is
 * copied); bool inputs take host data only. The buffer is read within the run's submission, so
 * commands queued before the run (the caller's preprocessing) are seen and later ones are not.
 * Or, for an image input, an ImageInput: a texture or browser image source preprocessed on the
 * GPU (see ImageInput).
 */
export type ModelInput = TensorData | GPUBuffer | ImageInput;

export interface RunOptions {
  /**
   * Tensor ids to read back as well (each copied right after its producer). A tensor a load pass
   * no longer computes is left out of `captured`: the output of a PAD folded into its
   * convolution (src/passes/fold-pad.ts), the output of a CONV_2D whose only reader, an ADD, was
   * fused into it (src/passes/fuse-add.ts; the ADD's output is still computed), the output of a
   * convolution or FULLY_CONNECTED whose only reader, a table op such as HARD_SWISH, became its
   * epilogue (src/passes/fuse-table.ts; the op's output is still computed), and a
   * convolution's output written in place into the channel concatenation that reads it
   * (src/passes/place-concat.ts; the concatenation is still captured). A program built with
   * keepActivations computes and captures them all.
   */
  capture?: number[];
  /**
   * Per-dispatch times in `layerTimes`, one per dispatch in encoding order:
   * - true: GPU time from timestamp-query, where the device has it (none otherwise).
   * - 'wall': on any device, each dispatch's wall time: the dispatch is submitted alone in its
   *   own command buffer once the queue is idle, and timed from its submit until
   *   queue.onSubmittedWorkDone() resolves, so a time includes the submission's latency (on
   *   llvmpipe, a software adapter without timestamp-query, that is the only measure there is).
   *   Such a run is slower than a normal one (a submit and a wait per dispatch); its outputs are
   *   the same.
   */
  timing?: boolean | 'wall';
  /** 'host' (the default): outputs are read back as TypedArrays. For GPUBuffers see GpuOutputRunOptions. */
  outputs?: 'host';
}

/**
 * A run whose outputs stay on the GPU: each output is a new GPUBuffer on the model's device
 * holding the tensor in its plain dense layout (as ModelInput describes), sized to that byte
 * length rounded up to a multiple of 4, usage STORAGE | COPY_SRC | COPY_DST. Nothing is read back
 * and the run resolves once the work is submitted: later commands on the device's queue see the
 * results. The buffers belong to the caller, who destroys them (`buffer.destroy()`); disposing the
 * model does not, and memory() does not count them. Refused for bool outputs and for models
 * with a host tail (TFLite_Detection_PostProcess), whose outputs are computed on the CPU.
 */
export interface GpuOutputRunOptions extends Omit<RunOptions, 'outputs'> {
  outputs: 'gpu';
}

export interface RunResult<Output extends TensorData | GPUBuffer = TensorData> {
  outputs: Output[];
  captured: Map<number, TensorData>;
  layerTimes?: LayerTime[];
}

/** Whether a run input is a GPUBuffer (Dawn's Node objects and the browser's alike) rather than host data. */
export function isGpuBuffer(x: unknown): x is GPUBuffer {
  return typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && typeof (x as GPUBuffer).mapAsync === 'function' && typeof (x as GPUBuffer).usage === 'number';
}

/** A plain<->packed conversion of one tensor, built on first use: its pipeline and params. */
interface PlainConversion {
  label: string;
  pipeline: GPUComputePipeline;
  params: GPUBuffer;
  workgroups: [number, number, number];
}

export interface GpuProgramOptions {
  /** Overrides the tiles' workgroupSize. */
  workgroupSize?: number;
  /**
   * Overrides entries of the adapter's kernel tiles, tunedTiles (src/kernels/tuned-tiles.ts):
   * tests and `npm run bench -- --tune` force candidates; results are the same for any.
   */
  tiles?: Partial<KernelTiles>;
  /** Requantization semantics; see LoweringContext. Default 'xnnpack', what the TFLite runtime outputs. */
  requantization?: RequantizationMode;
  /** Overrides the adapter's choice, preferredInt8Arithmetic (tests take every variant on one adapter). */
  int8Arithmetic?: Int8Arithmetic;
  /**
   * Overrides the adapter's int8 conv kernel, prefersWorkgroupTiles (src/kernels/conv2d-shared.ts):
   * 'workgroup' forces shaders/conv2d-shared.wgsl (tests and the tuner run it on software
   * adapters), 'registers' shaders/conv2d.wgsl.
   */
  convKernel?: ConvKernel;
  /**
   * Every activation of the model stays computed, so a run can capture any of them: the load
   * passes that drop one (GraphPass.dropsActivations: fold-pad, fuse-add, fuse-table, place-concat) are
   * skipped, at the cost of their dispatches and copies. Per-layer comparisons set it.
   */
  keepActivations?: boolean;
}

export class GpuProgram {
  private disposed = false;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly ctx: GpuContext,
    /** The whole graph after the load passes (folded, canonicalized for the GPU): its inputs and outputs are the program's. */
    readonly graph: Graph,
    /** The part that runs on the GPU: `graph` less the host tail, whose inputs it outputs too. */
    readonly gpuGraph: Graph,
    private readonly tail: HostTail | undefined,
    readonly plan: Plan,
    private readonly tracker: GpuBufferTracker,
    private readonly slotBuffers: GPUBuffer[],
    private readonly steps: EncodedStep[],
    /**
     * One mappable buffer per GPU-graph output, made at build and reused by every run (runs are
     * queued, and each unmaps before it resolves): a run allocates no staging buffer for its
     * outputs, only for captures and timestamps.
     */
    private readonly outputReadBuffers: GPUBuffer[],
    readonly weightBytes: number,
    private readonly lowering: LoweringContext,
    /** Tensors written in place into a concatenation's output (PlacementSpec): no bytes of their own to capture. */
    private readonly placed: ReadonlySet<number>,
  ) {}

  /** Conversions between plain and packed layouts for GPUBuffer inputs and outputs, by tensor and direction. */
  private readonly conversions = new Map<string, Promise<PlainConversion>>();

  /** Image preprocessing of ImageInput inputs, by input index, built on first use. */
  private readonly imageInputs = new Map<number, GpuImageInput>();

  static async build(ctx: GpuContext, modelGraph: Graph, options: GpuProgramOptions = {}): Promise<GpuProgram> {
    ctx.assertAlive();
    const passes = options.keepActivations ? GPU_LOAD_PASSES.filter((p) => !p.dropsActivations) : GPU_LOAD_PASSES;
    const graph = runPasses(modelGraph, passes, { requantization: options.requantization ?? DEFAULT_REQUANTIZATION });
    // Host ops (TFLite_Detection_PostProcess) run after the readback; the GPU runs the rest.
    const split = splitHostTail(graph, options.requantization ?? DEFAULT_REQUANTIZATION);
    const gpuGraph = split.gpu;
    const device = ctx.device;
    const tiles: KernelTiles = { ...tunedTiles(ctx.caps), ...options.tiles, ...(options.workgroupSize === undefined ? {} : { workgroupSize: options.workgroupSize }) };
    checkKernelTiles(tiles, device.limits);
    const lowering: LoweringContext = {
      graph: gpuGraph,
      useDot4: ctx.useDot4,
      requantization: options.requantization ?? DEFAULT_REQUANTIZATION,
      xnnpackDelegate: xnnpackDelegateApplies(modelGraph),
      workgroupSize: tiles.workgroupSize,
      maxWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
      tiles,
      int8Arithmetic: options.int8Arithmetic ?? preferredInt8Arithmetic(ctx.caps, ctx.useDot4),
      workgroupConv: options.convKernel === undefined ? prefersWorkgroupTiles(ctx.caps, tiles.workgroupConv, device.limits) : options.convKernel === 'workgroup',
    };
    if (lowering.workgroupConv) {
      const misfit = workgroupConvMisfit(tiles.workgroupConv, device.limits);
      if (misfit) throw new LoweringError(`workgroup conv tile ${formatWorkgroupConvTile(tiles.workgroupConv)}: ${misfit}`);
    }
    // Lower every op first: an unsupported op or a bad tensor is refused before any allocation.
    const lowered = gpuGraph.ops.map((op, position) => ({ op, position, lowered: lowerOp(lowering, op) }));
    const aliases = new Map<number, number>();
    // A placed input lies inside its concatenation's output: one buffer group, as an alias, sized
    // by its largest member (the whole output) and live from the first producer to the last reader.
    const placed = new Set<number>();
    for (const { lowered: l } of lowered) {
      if (l.alias) aliases.set(l.alias.to, l.alias.from);
      for (const p of l.placements ?? []) {
        aliases.set(p.part, p.whole);
        placed.add(p.part);
      }
    }
    const plan = planBuffers(gpuGraph, aliases);
    const maxBinding = device.limits.maxStorageBufferBindingSize;
    for (const { op, lowered: l } of lowered) {
      for (const c of l.constants) {
        const limit = c.usage === 'uniform' ? device.limits.maxUniformBufferBindingSize : Math.min(maxBinding, device.limits.maxBufferSize);
        if (c.data.byteLength > limit) {
          const weights = gpuGraph.tensors[op.inputs[1] ?? -1];
          // Labels name an op by its index; an inserted op's also says which model operator it serves.
          const inserted = op.origin === undefined ? '' : ` (${operatorName(op)})`;
          throw new GpuValidationError(
            `${c.label}${inserted}${weights ? ` (tensor '${weights.name}')` : ''}`,
            `needs ${c.data.byteLength} bytes, above this adapter's ${c.usage === 'uniform' ? 'maxUniformBufferBindingSize' : 'maxStorageBufferBindingSize'} of ${limit}; nothing was allocated`,
          );
        }
      }
    }
    for (const slot of plan.slots) {
      if (slot.bytes > maxBinding || slot.bytes > device.limits.maxBufferSize) {
        const t = gpuGraph.tensors[slot.tensors[0]!]!;
        throw new GpuValidationError(`tensor '${t.name}'`, `needs ${slot.bytes} bytes, above this adapter's maxStorageBufferBindingSize of ${maxBinding}; nothing was allocated`);
      }
    }

    const tracker = new GpuBufferTracker(device);
    const pipelineCache = pipelineCacheOf(device);
    try {
      const slotBuffers = plan.slots.map((s) =>
        tracker.create({ label: `activations ${s.index}`, size: s.bytes, usage: STORAGE | COPY_SRC | COPY_DST }),
      );
      const bufferOfTensor = (id: number): GPUBuffer => {
        const slot = plan.slotOf.get(id);
        if (slot === undefined) throw new GpuValidationError(`tensor ${id}`, 'has no activation buffer (constant used as activation?)');
        return slotBuffers[slot]!;
      };
      const outputReadBuffers = gpuGraph.outputs.map((id) => {
        const t = gpuGraph.tensors[id]!;
        return tracker.create({ label: `output ${t.name} read`, size: gpuByteLength(t), usage: MAP_READ | COPY_DST });
      });
      let weightBytes = 0;
      const steps: EncodedStep[] = [];
      for (const { position, lowered: l } of lowered) {
        const constants = l.constants.map((c) => {
          if (c.usage === 'storage') weightBytes += c.data.byteLength;
          return tracker.createWithData(c.label, c.data, (c.usage === 'uniform' ? UNIFORM : STORAGE) | COPY_DST);
        });
        for (const step of l.steps) steps.push(await encodeStep(ctx, step, position, constants, bufferOfTensor, pipelineCache));
      }
      const program = new GpuProgram(ctx, graph, gpuGraph, split.tail, plan, tracker, slotBuffers, steps, outputReadBuffers, weightBytes, lowering, placed);
      return program;
    } catch (e) {
      tracker.destroyAll();
      throw e;
    }
  }

  memory(): GpuMemoryStats {
    return this.tracker.stats();
  }

  /** What a run encodes, in order: each dispatch and buffer copy, with the op position (in gpuGraph) it serves. */
  stepList(): StepInfo[] {
    return this.steps.map((s) => ({ kind: s.kind, label: s.label, opPosition: s.opPosition }));
  }

  /** Runs are queued: each has the activation buffers to itself while in flight. */
  run(inputs: ModelInput[], options: GpuOutputRunOptions): Promise<RunResult<GPUBuffer>>;
  run(inputs: ModelInput[], options?: RunOptions): Promise<RunResult>;
  run(inputs: ModelInput[], options: RunOptions | GpuOutputRunOptions = {}): Promise<RunResult<TensorData | GPUBuffer>> {
    if (this.disposed) return Promise.reject(new DisposedError('this model was disposed'));
    const result = this.queue.then(() => this.runNow(inputs, options));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** The pipeline and params converting tensor `id` between plain and packed, compiled on first use. */
  private conversion(id: number, direction: PlainDirection): Promise<PlainConversion> {
    const key = `${id} ${direction}`;
    let c = this.conversions.get(key);
    if (!c) {
      c = (async () => {
        const { constant, step } = plainLayoutGather(this.lowering, this.gpuGraph.tensors[id]!, direction);
        if (!('dispatch' in step)) throw new Error('a plain-layout gather is one dispatch');
        const d = step.dispatch;
        const pipeline = await compilePipeline(this.ctx, d.label, d.code, d.shaderKey, pipelineCacheOf(this.ctx.device));
        const params = this.tracker.createWithData(constant.label, constant.data, UNIFORM | COPY_DST);
        return { label: d.label, pipeline, params, workgroups: d.workgroups };
      })();
      this.conversions.set(key, c);
      c.catch(() => this.conversions.delete(key));
    }
    return c;
  }

  /** One dispatch of a plain<->packed conversion from `from` into `to` (bytes bound from offset 0). */
  private encodeConversion(pass: GPUComputePassEncoder, c: PlainConversion, from: GPUBuffer, fromBytes: number, to: GPUBuffer, toBytes: number): void {
    const bindGroup = this.ctx.device.createBindGroup({
      label: c.label,
      layout: c.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: from, size: fromBytes } },
        { binding: 1, resource: { buffer: to, size: toBytes } },
        { binding: 2, resource: { buffer: c.params } },
      ],
    });
    pass.setPipeline(c.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...c.workgroups);
  }

  /**
   * The command buffer that moves a GPUBuffer input into its activation buffer: a packing gather
   * for 8-bit tensors, a copy otherwise. Encoded apart from the run inside an error scope, so that
   * a buffer this device cannot use is the caller's error, named by its input.
   */
  private async encodeGpuInput(id: number, buffer: GPUBuffer, index: number): Promise<GPUCommandBuffer> {
    const t = this.gpuGraph.tensors[id]!;
    const slot = this.slotBuffers[this.plan.slotOf.get(id)!]!;
    const conversion = isEightBit(t.dtype) ? await this.conversion(id, 'to-packed') : undefined;
    const device = this.ctx.device;
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder({ label: `octet input ${index}` });
    if (conversion) {
      const pass = encoder.beginComputePass({ label: conversion.label });
      this.encodeConversion(pass, conversion, buffer, roundUp4(plainByteLength(t)), slot, gpuByteLength(t));
      pass.end();
    } else {
      encoder.copyBufferToBuffer(buffer, 0, slot, 0, plainByteLength(t));
    }
    const commands = encoder.finish();
    const error = await device.popErrorScope();
    if (error) throw new InputError(`input ${index} ('${t.name}'): this model's device cannot use the GPUBuffer (is it from another device, or destroyed?): ${error.message}`);
    return commands;
  }

  private imageInputOf(index: number): GpuImageInput {
    let stage = this.imageInputs.get(index);
    if (!stage) {
      const ctx = this.ctx;
      stage = new GpuImageInput({
        device: ctx.device,
        tensor: this.gpuGraph.tensors[this.gpuGraph.inputs[index]!]!,
        tracker: this.tracker,
        workgroupSize: this.lowering.workgroupSize,
        workgroupsFor: (n) => workgroupsFor(this.lowering, n),
        maxWorkgroups: this.lowering.maxWorkgroupsPerDimension,
        compile: (label, code) => compilePipeline(ctx, label, code, code, pipelineCacheOf(ctx.device)),
      });
      this.imageInputs.set(index, stage);
    }
    return stage;
  }

  /** The recipe an ImageInput is encoded with: its own, else the model's default (chooseInputRecipe without metadata). */
  private imageRecipe(input: ImageInput, index: number): InputRecipe {
    const t = this.gpuGraph.tensors[this.gpuGraph.inputs[index]!]!;
    const what = `input ${index} ('${t.name}', ${t.dtype} [${t.shape.join(', ')}])`;
    checkImageTensor(t, what);
    const recipe = input.recipe ?? chooseInputRecipe(this.graph.name, t)?.recipe;
    if (!recipe) throw new ImageInputError(`${what}: has no default image recipe (a ${t.dtype} input); pass the ImageInput a recipe`);
    checkImageTarget(t, recipe, what);
    checkImageSource(input.image, what);
    return recipe;
  }

  /** The command buffer that preprocesses an ImageInput into its activation buffer, encoded inside an error scope like encodeGpuInput. */
  private async encodeImageInput(id: number, input: ImageInput, recipe: InputRecipe, index: number): Promise<GPUCommandBuffer> {
    const t = this.gpuGraph.tensors[id]!;
    const slot = this.slotBuffers[this.plan.slotOf.get(id)!]!;
    const write = await this.imageInputOf(index).prepare(input.image, recipe);
    const device = this.ctx.device;
    device.pushErrorScope('validation');
    let commands: GPUCommandBuffer | undefined;
    let thrown: unknown;
    try {
      const encoder = device.createCommandEncoder({ label: `octet image input ${index}` });
      write(encoder, slot);
      commands = encoder.finish();
    } catch (e) {
      thrown = e;
    }
    // Popped whatever happened, so a thrown encoding leaves the device's scope stack as it was.
    const error = await device.popErrorScope();
    if (thrown !== undefined) throw thrown;
    if (error) throw new ImageInputError(`input ${index} ('${t.name}'): this model's device cannot use the image (a texture from another device, or destroyed?): ${error.message}`);
    return commands!;
  }

  /**
   * After a failed submission (which ran none of its command buffers): the GPUBuffer input it
   * failed on, if any. A buffer destroyed before the run passes encoding and fails only at submit,
   * so each input's commands are submitted again alone to find it; a failure with none to blame
   * is the program's own.
   */
  private async blameGpuInput(inputs: ModelInput[], imageRecipes: Map<number, InputRecipe>): Promise<InputError | ImageInputError | undefined> {
    const device = this.ctx.device;
    for (const [i, id] of this.gpuGraph.inputs.entries()) {
      const input = inputs[i]!;
      const isTexture = isImageInput(input) && isGpuTexture(input.image);
      if (!isGpuBuffer(input) && !isTexture) continue;
      let commands: GPUCommandBuffer;
      try {
        commands = isGpuBuffer(input) ? await this.encodeGpuInput(id, input, i) : await this.encodeImageInput(id, input as ImageInput, imageRecipes.get(i)!, i);
      } catch (e) {
        if (e instanceof InputError || e instanceof ImageInputError) return e;
        throw e;
      }
      device.pushErrorScope('validation');
      device.queue.submit([commands]);
      const error = await device.popErrorScope();
      if (error) {
        const message = `input ${i} ('${this.gpuGraph.tensors[id]!.name}'): the run's submission failed on its ${isTexture ? 'texture' : 'GPUBuffer'} (destroyed?): ${error.message}`;
        return isTexture ? new ImageInputError(message) : new InputError(message);
      }
    }
    return undefined;
  }

  private async runNow(inputs: ModelInput[], options: RunOptions | GpuOutputRunOptions): Promise<RunResult<TensorData | GPUBuffer>> {
    if (this.disposed) throw new DisposedError('this model was disposed');
    this.ctx.assertAlive();
    const { device } = this.ctx;
    const graph = this.gpuGraph;
    if (inputs.length !== graph.inputs.length) {
      throw new InputError(`model takes ${graph.inputs.length} input(s), got ${inputs.length}`);
    }
    const gpuOutputs = options.outputs === 'gpu';
    if (gpuOutputs) checkGpuOutputs(this.graph, this.tail !== undefined);
    const imageRecipes = new Map<number, InputRecipe>();
    graph.inputs.forEach((id, i) => {
      const input = inputs[i]!;
      if (isGpuBuffer(input)) checkGpuInput(graph.tensors[id]!, input, i);
      else if (isImageInput(input)) imageRecipes.set(i, this.imageRecipe(input, i));
      else checkInput(graph.tensors[id]!, input, i);
    });
    // Every check passes before anything is queued: a refused run leaves no half-written input.
    const inputCommands: GPUCommandBuffer[] = [];
    for (const [i, id] of graph.inputs.entries()) {
      const input = inputs[i]!;
      if (isGpuBuffer(input)) inputCommands.push(await this.encodeGpuInput(id, input, i));
      else if (isImageInput(input)) inputCommands.push(await this.encodeImageInput(id, input, imageRecipes.get(i)!, i));
    }
    const outputConversions = gpuOutputs
      ? await Promise.all(graph.outputs.map((id) => (isEightBit(graph.tensors[id]!.dtype) ? this.conversion(id, 'to-plain') : undefined)))
      : [];
    graph.inputs.forEach((id, i) => {
      const input = inputs[i]!;
      if (isGpuBuffer(input) || isImageInput(input)) return;
      device.queue.writeBuffer(this.slotBuffers[this.plan.slotOf.get(id)!]!, 0, toGpuLayout(graph.tensors[id]!, input) as Uint8Array<ArrayBuffer>);
    });

    const timing = options.timing === true && this.ctx.hasTimestamps;
    const wallTiming = options.timing === 'wall';
    const dispatchCount = this.steps.filter((s) => s.kind === 'dispatch').length;
    const temporaries: GPUBuffer[] = [];
    const tracker = this.tracker;
    const staging = (label: string, size: number) => {
      const b = tracker.create({ label, size, usage: MAP_READ | COPY_DST });
      temporaries.push(b);
      return b;
    };
    let querySet: GPUQuerySet | undefined;
    let queryResolve: GPUBuffer | undefined;
    let queryRead: GPUBuffer | undefined;
    if (timing && dispatchCount > 0) {
      querySet = device.createQuerySet({ type: 'timestamp', count: dispatchCount * 2 });
      queryResolve = tracker.create({ label: 'timestamps', size: dispatchCount * 16, usage: QUERY_RESOLVE | COPY_SRC });
      temporaries.push(queryResolve);
      queryRead = staging('timestamps read', dispatchCount * 16);
    }

    const capture = new Set((options.capture ?? []).filter((id) => !this.placed.has(id)));
    const captureReads = new Map<number, GPUBuffer>();
    let encoder = device.createCommandEncoder({ label: 'octet run' });
    // With wall timing the run is cut into command buffers, each dispatch one of its own
    // (`dispatch`: its index among the dispatches) to be submitted and waited for alone.
    const segments: Array<{ commands: GPUCommandBuffer; dispatch?: number }> = [];
    const cut = (dispatch?: number) => {
      segments.push({ commands: encoder.finish(), ...(dispatch === undefined ? {} : { dispatch }) });
      encoder = device.createCommandEncoder({ label: 'octet run' });
    };
    const captureOutputsOf = (position: number) => {
      for (const id of graph.ops[position]?.outputs ?? []) {
        if (!capture.has(id) || captureReads.has(id)) continue;
        const t = graph.tensors[id]!;
        const read = staging(`capture ${t.name}`, gpuByteLength(t));
        encoder.copyBufferToBuffer(this.slotBuffers[this.plan.slotOf.get(id)!]!, 0, read, 0, gpuByteLength(t));
        captureReads.set(id, read);
      }
    };
    const wantsCapture = (from: number, to: number) => {
      for (let p = from; p < to; p++) if ((graph.ops[p]?.outputs ?? []).some((id) => capture.has(id) && !captureReads.has(id))) return true;
      return false;
    };
    // Consecutive dispatches share one compute pass (WebGPU orders and synchronizes dispatches
    // within a pass, each its own usage scope); a pass ends only where a buffer copy or a capture
    // must come between, both encoder commands. With timing each dispatch gets its own pass,
    // since timestampWrites belong to a pass.
    let q = 0;
    let pass: GPUComputePassEncoder | undefined;
    const endPass = () => {
      pass?.end();
      pass = undefined;
    };
    // Captures are copied once their op's last step is encoded, and with them those of the ops
    // after it that have no steps (aliases): an alias holds its source's bytes from then until
    // the group's last reader, which is at or after the next op with steps, so they are intact
    // here but maybe not at the end of the run. Ops with no steps before the first step are
    // captured before it (their sources are graph inputs, written before the run).
    const captureThrough = (from: number, to: number) => {
      if (capture.size === 0 || !wantsCapture(from, to)) return;
      endPass();
      for (let p = from; p < to; p++) captureOutputsOf(p);
    };
    captureThrough(0, this.steps[0]?.opPosition ?? graph.ops.length);
    this.steps.forEach((step, i) => {
      if (step.kind === 'dispatch') {
        if (querySet) {
          endPass();
          pass = encoder.beginComputePass({ label: step.label, timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * q, endOfPassWriteIndex: 2 * q + 1 } });
          q++;
        } else if (wallTiming) {
          endPass();
          cut();
          pass = encoder.beginComputePass({ label: step.label });
        } else {
          pass ??= encoder.beginComputePass({ label: 'octet dispatches' });
        }
        pass.setPipeline(step.pipeline);
        pass.setBindGroup(0, step.bindGroup);
        pass.dispatchWorkgroups(...step.workgroups);
        if (wallTiming) {
          endPass();
          cut(q++);
        }
      } else {
        endPass();
        encoder.copyBufferToBuffer(step.from, 0, step.to, 0, step.bytes);
      }
      const next = this.steps[i + 1];
      if (!next || next.opPosition !== step.opPosition) captureThrough(step.opPosition, next?.opPosition ?? graph.ops.length);
    });
    endPass();
    for (const id of capture) {
      // Graph inputs (and anything no op produced) are captured after the run.
      if (!captureReads.has(id) && this.plan.slotOf.has(id)) {
        const t = graph.tensors[id]!;
        const read = staging(`capture ${t.name}`, gpuByteLength(t));
        encoder.copyBufferToBuffer(this.slotBuffers[this.plan.slotOf.get(id)!]!, 0, read, 0, gpuByteLength(t));
        captureReads.set(id, read);
      }
    }
    // Outputs that stay on the GPU are the caller's buffers, not the tracker's: dispose leaves them.
    const outputBuffers: GPUBuffer[] = [];
    if (gpuOutputs) {
      graph.outputs.forEach((id, i) => {
        const t = graph.tensors[id]!;
        const size = Math.max(4, roundUp4(plainByteLength(t)));
        const out = device.createBuffer({ label: `output ${t.name}`, size, usage: STORAGE | COPY_SRC | COPY_DST });
        outputBuffers.push(out);
        const slot = this.slotBuffers[this.plan.slotOf.get(id)!]!;
        const conversion = outputConversions[i];
        if (conversion) {
          const pass = encoder.beginComputePass({ label: conversion.label });
          this.encodeConversion(pass, conversion, slot, gpuByteLength(t), out, size);
          pass.end();
        } else if (plainByteLength(t) > 0) {
          encoder.copyBufferToBuffer(slot, 0, out, 0, plainByteLength(t));
        }
      });
    }
    const outputReads = gpuOutputs
      ? []
      : graph.outputs.map((id, i) => {
          const read = this.outputReadBuffers[i]!;
          encoder.copyBufferToBuffer(this.slotBuffers[this.plan.slotOf.get(id)!]!, 0, read, 0, gpuByteLength(graph.tensors[id]!));
          return read;
        });
    if (querySet && queryResolve && queryRead) {
      encoder.resolveQuerySet(querySet, 0, dispatchCount * 2, queryResolve, 0);
      encoder.copyBufferToBuffer(queryResolve, 0, queryRead, 0, dispatchCount * 16);
    }

    let unsubscribe: () => void = () => undefined;
    const lost = new Promise<never>((_, reject) => {
      unsubscribe = this.ctx.onLost(reject);
    });
    // Observed from the start: the loss can land while this run awaits something other than the race.
    lost.catch(() => undefined);
    try {
      device.pushErrorScope('validation');
      // The inputs' conversions first, in the same submission as the run.
      const wallNs: number[] = [];
      if (wallTiming) {
        cut();
        for (const [i, segment] of segments.entries()) {
          const t0 = performance.now();
          device.queue.submit(i === 0 ? [...inputCommands, segment.commands] : [segment.commands]);
          await Promise.race([device.queue.onSubmittedWorkDone(), lost]);
          if (segment.dispatch !== undefined) wallNs[segment.dispatch] = Math.round((performance.now() - t0) * 1e6);
        }
      } else {
        device.queue.submit([...inputCommands, encoder.finish()]);
      }
      const scopeError = await device.popErrorScope();
      if (scopeError) throw (await this.blameGpuInput(inputs, imageRecipes)) ?? new GpuValidationError('running the model', scopeError.message);
      const toMap = [...outputReads, ...captureReads.values(), ...(queryRead ? [queryRead] : [])];
      if (toMap.length > 0) await Promise.race([Promise.all(toMap.map((b) => b.mapAsync(MAP_READ))), lost]);
      const captured = new Map<number, TensorData>();
      for (const [id, b] of captureReads) captured.set(id, fromGpuLayout(graph.tensors[id]!, new Uint8Array(b.getMappedRange())));
      const readOutputs = outputReads.map((b, i) => fromGpuLayout(graph.tensors[graph.outputs[i]!]!, new Uint8Array(b.getMappedRange())));
      let outputs: TensorData[] | GPUBuffer[] = gpuOutputs ? outputBuffers : readOutputs;
      if (this.tail) {
        // The host tail on the read-back tensors; the program's outputs in the whole graph's order.
        const byId = new Map(graph.outputs.map((id, i) => [id, readOutputs[i]!]));
        const tailValues = this.tail.prepared.runAll(this.tail.reads.map((id) => byId.get(id)!));
        outputs = this.graph.outputs.map((id) => (this.tail!.writes.has(id) ? tailValues.get(id)! : byId.get(id)!));
        for (const id of capture) {
          if (this.tail.writes.has(id)) captured.set(id, tailValues.get(id)!);
        }
      }
      let nsOf: ((k: number) => number) | undefined;
      if (queryRead) {
        const stamps = new BigUint64Array(queryRead.getMappedRange().slice(0));
        nsOf = (k) => Number(stamps[2 * k + 1]! - stamps[2 * k]!);
      } else if (wallTiming) {
        nsOf = (k) => wallNs[k]!;
      }
      let layerTimes: LayerTime[] | undefined;
      if (nsOf) {
        layerTimes = [];
        let k = 0;
        for (const step of this.steps) {
          if (step.kind !== 'dispatch') continue;
          const op = graph.ops[step.opPosition]!;
          const origin = op.origin === undefined ? {} : { origin: op.origin };
          layerTimes.push({ label: step.label, opIndex: op.index, ...origin, ns: nsOf(k) });
          k++;
        }
      }
      return { outputs, captured, layerTimes };
    } catch (e) {
      for (const b of outputBuffers) b.destroy();
      if (e instanceof DeviceLostError) throw e;
      // A device destroyed mid-run fails the submission or the mapping before `lost` resolves;
      // give it a moment so the caller sees the loss, not the symptom.
      const lostSoon = await Promise.race([
        this.ctx.device.lost.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 100)),
      ]);
      if (lostSoon || this.ctx.isLost) {
        await Promise.resolve();
        this.ctx.assertAlive();
      }
      throw e;
    } finally {
      unsubscribe();
      // The next run copies into the output read buffers again; mapped ones must be unmapped first.
      for (const b of outputReads) if (b.mapState === 'mapped') b.unmap();
      querySet?.destroy();
      for (const b of temporaries) tracker.destroy(b);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const stage of this.imageInputs.values()) stage.dispose();
    this.tracker.destroyAll();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}

/** Bytes of a tensor in its plain dense layout (its TypedArray's bytes; int64 as 8-byte words). */
function plainByteLength(t: TensorIR): number {
  const bytes: Partial<Record<TensorIR['dtype'], number>> = { int8: 1, uint8: 1, int32: 4, float32: 4, int64: 8 };
  const per = bytes[t.dtype];
  if (per === undefined) throw new InputError(`tensor '${t.name}' is ${t.dtype}, which a GPUBuffer cannot carry (only int8, uint8, int32, float32 and int64)`);
  return tensorElementCount(t.shape) * per;
}

function checkGpuInput(t: TensorIR, buffer: GPUBuffer, index: number): void {
  const what = `input ${index} ('${t.name}', ${t.dtype} [${t.shape.join(', ')}])`;
  if (t.dtype === 'bool') throw new InputError(`${what}: bool inputs take a Uint8Array of 0/1, not a GPUBuffer`);
  const needed = roundUp4(plainByteLength(t));
  if (buffer.size < needed) {
    throw new InputError(`${what}: the GPUBuffer holds ${buffer.size} bytes; the tensor's plain layout needs ${plainByteLength(t)}, so at least ${needed} (a multiple of 4)`);
  }
  // 8-bit inputs are packed by a kernel that reads the buffer; the others are copied.
  const [usage, usageName] = isEightBit(t.dtype) ? [STORAGE, 'STORAGE'] : [COPY_SRC, 'COPY_SRC'];
  if ((buffer.usage & usage) === 0) {
    throw new InputError(`${what}: the GPUBuffer needs GPUBufferUsage.${usageName} (${isEightBit(t.dtype) ? 'a kernel packs 8-bit inputs' : 'it is copied'}); its usage is 0x${buffer.usage.toString(16)}`);
  }
}

function checkGpuOutputs(graph: Graph, hostTail: boolean): void {
  if (hostTail) throw new InputError(`outputs: 'gpu' is refused for '${graph.name}': its last ops (TFLite_Detection_PostProcess) run on the CPU, so its outputs are host data`);
  for (const id of graph.outputs) {
    const t = graph.tensors[id]!;
    if (t.dtype === 'bool') throw new InputError(`outputs: 'gpu' is refused for '${graph.name}': output '${t.name}' is bool, which a GPUBuffer does not carry`);
    plainByteLength(t);
  }
}

function checkInput(t: TensorIR, data: TensorData, index: number): void {
  const expected = tensorElementCount(t.shape);
  const kind: Record<string, string> = {
    Int8Array: 'int8',
    Uint8Array: 'uint8',
    Int16Array: 'int16',
    Int32Array: 'int32',
    Float32Array: 'float32',
  };
  let got = kind[data.constructor.name];
  // bool values arrive as 0/1 bytes; int64 as Int32Array (how the CPU reference holds them).
  if (t.dtype === 'bool' && data instanceof Uint8Array) got = 'bool';
  if (t.dtype === 'int64' && data instanceof Int32Array) got = 'int64';
  if (got !== t.dtype) {
    throw new InputError(`input ${index} ('${t.name}') must be ${t.dtype}, got ${got ?? data.constructor.name}`);
  }
  if (data.length !== expected) {
    throw new InputError(`input ${index} ('${t.name}') must have ${expected} elements (shape [${t.shape.join(', ')}]), got ${data.length}`);
  }
  if (data instanceof Float32Array) {
    for (let i = 0; i < data.length; i++) {
      if (Number.isNaN(data[i]!)) throw new InputError(`input ${index} ('${t.name}') holds NaN at element ${i}`);
    }
  }
}

// Pipelines belong to the device, not to one program: every program on a device (each model, each
// kernel test case) shares them, so a shader is compiled once per device. Keys are the WGSL text,
// so equal keys are equal pipelines. A lost device takes its cache with it (a WeakMap key).
const pipelineCaches = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

function pipelineCacheOf(device: GPUDevice): Map<string, Promise<GPUComputePipeline>> {
  let cache = pipelineCaches.get(device);
  if (!cache) {
    cache = new Map();
    pipelineCaches.set(device, cache);
  }
  return cache;
}

async function encodeStep(
  ctx: GpuContext,
  step: StepSpec,
  opPosition: number,
  constants: GPUBuffer[],
  bufferOfTensor: (id: number) => GPUBuffer,
  cache: Map<string, Promise<GPUComputePipeline>>,
): Promise<EncodedStep> {
  if ('copy' in step) {
    const c = step.copy;
    return { kind: 'copy', label: c.label, from: bufferOfTensor(c.from), to: bufferOfTensor(c.to), bytes: c.bytes, opPosition };
  }
  const d = step.dispatch;
  const device = ctx.device;
  const pipeline = await compilePipeline(ctx, d.label, d.code, d.shaderKey, cache);
  const bindGroup = await ctx.checked(`bind group for ${d.label}`, () =>
    device.createBindGroup({
      label: d.label,
      layout: pipeline.getBindGroupLayout(0),
      entries: d.bindings.map((b, binding) => ({
        binding,
        resource: { buffer: 'tensor' in b ? bufferOfTensor(b.tensor) : constants[b.constant]! },
      })),
    }),
  );
  return { kind: 'dispatch', label: d.label, pipeline, bindGroup, workgroups: d.workgroups, opPosition };
}

/** The device's pipeline for one shader (compiled once per device; see pipelineCaches). */
function compilePipeline(ctx: GpuContext, label: string, code: string, shaderKey: string, cache: Map<string, Promise<GPUComputePipeline>>): Promise<GPUComputePipeline> {
  const device = ctx.device;
  const d = { label, code, shaderKey };
  let pipelinePromise = cache.get(d.shaderKey);
  if (!pipelinePromise) {
    pipelinePromise = (async () => {
      const module = device.createShaderModule({ label: d.label, code: d.code });
      // Synchronous creation inside an error scope: Dawn's createComputePipelineAsync aborted the
      // Node process (std::system_error from its worker thread) on the software adapters here.
      try {
        return await ctx.checked(`compiling the kernel for ${d.label}`, () =>
          device.createComputePipeline({ label: d.label, layout: 'auto', compute: { module, entryPoint: 'main' } }),
        );
      } catch (e) {
        const info = await module.getCompilationInfo();
        const messages = info.messages.filter((m) => m.type === 'error').map((m) => `line ${m.lineNum}:${m.linePos}: ${m.message}`);
        if (messages.length === 0) throw e;
        throw new GpuValidationError(`compiling the kernel for ${d.label}`, messages.join('; '));
      }
    })();
    cache.set(d.shaderKey, pipelinePromise);
    // A failure is not kept: its message names this program's op, and the next program says its own.
    pipelinePromise.catch(() => cache.delete(d.shaderKey));
  }
  return pipelinePromise;
}
