// The graph passes of loading a model onto the GPU, as one ordered list. Each pass is a function
// Graph → Graph that leaves its input untouched; runPasses applies them in order and checks after
// each that op indices are still unique (src/passes/op-indices.ts), so every message that names
// an op by index names one op, traceable to the model's operator list.
import type { Graph } from '../model/graph.ts';
import type { RequantizationMode } from '../quant/requantization.ts';
import { canonicalizeForGpu } from './canonicalize.ts';
import { foldConstants } from './fold-constants.ts';
import { foldPadIntoConvolution } from './fold-pad.ts';
import { fuseAddIntoConvolution } from './fuse-add.ts';
import { fuseTableIntoProducer } from './fuse-table.ts';
import { tabulateConstantOperands } from './byte-tables.ts';
import { xnnpackDelegateApplies } from '../model/tflite-delegation.ts';
import { checkOpIndices, opIndexAllocator } from './op-indices.ts';
import { placeConcatenationInputs } from './place-concat.ts';

export interface PassContext {
  /** The requantization the program computes with: folded ops compute what it would. */
  readonly requantization: RequantizationMode;
  /**
   * Under 'xnnpack': whether the TFLite runtime runs the model through its XNNPACK delegate,
   * decided on the graph runPasses was given (src/model/tflite-delegation.ts), as the GPU
   * program's lowerings take it: tables the passes compute with the reference follow it.
   */
  readonly xnnpackDelegate: boolean;
  /** A fresh index for each op a pass inserts, past every index of the graph runPasses was given. */
  readonly newOpIndex: () => number;
}

export interface GraphPass {
  /** Names the pass in the invariant check's message. */
  readonly name: string;
  /**
   * Whether the pass leaves a tensor of the model uncomputed, so a run cannot capture it (a
   * folded PAD's output, a fused ADD's convolution output, a placed concatenation input).
   * GpuProgramOptions.keepActivations skips these passes.
   */
  readonly dropsActivations?: boolean;
  run(graph: Graph, ctx: PassContext): Graph;
}

/**
 * What GpuProgram.build does to a graph before lowering it, in this order:
 *  1. fold-constants: ops on constants and every SHAPE computed once by the CPU reference, then
 *     the placeholder shapes they made computable inferred (inferShapes runs inside foldConstants:
 *     only folding makes shape operands constant, and the CPU reference prepares its graph with
 *     the same pair).
 *  2. canonicalize-for-gpu: after folding, since it reads FULLY_CONNECTED input shapes, which
 *     shape inference may have just settled.
 *  3. fold-pad: a PAD whose readers are all VALID convolutions becomes their explicit padding
 *     (one dispatch less). After folding, which makes computed paddings constant; last, since the
 *     fused convolution's options (explicitPadding) are the GPU's own.
 *  4. fuse-add: an ADD of a CONV_2D's output (read by nothing else) and a residual of the same
 *     shape becomes the convolution's epilogue (one dispatch less). After fold-pad, which it
 *     neither needs nor disturbs (it changes a convolution's output, fold-pad its input); its
 *     fused convolution (Conv2DOptions.fusedAdd) is the GPU's own.
 *  5. fuse-table: an 8-bit op that is a table of its input byte (a unary op, LOGISTIC) after a
 *     CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED whose output nothing else reads becomes that
 *     producer's epilogue (ConvolutionOptions.fusedTable; one dispatch and one activation less).
 *     After fuse-add: a convolution with a fused ADD keeps its one epilogue, and a table op after
 *     an ADD has no convolution producer to fuse into.
 *  6. tabulate-byte-ops: an 8-bit binary op with a constant operand varying along the channels at
 *     most gets its tables (ByteTables, src/passes/byte-tables.ts), so the GPU applies them
 *     instead of the arithmetic. After fuse-table, so that the ops fused away are not tabulated;
 *     it drops nothing (the op stays, its output computed).
 *  7. place-concat: a channel CONCATENATION's convolution inputs written in place by their
 *     producers (OutputPlacement; one activation and one copy dispatch less each). Last: it
 *     decides on the final producers and readers (a PAD folded away no longer reads a tensor, an
 *     ADD or a table op fused away no longer writes one; a convolution with a fused ADD is not
 *     placed, one with a fused table op writes the op's output in place), and its options, like
 *     fold-pad's, are the GPU kernels' own.
 *
 * Not in the list, on purpose:
 *  - batchGraph (batch.ts, LoadOptions.batch) stays explicit in OctetModel.load: it changes the
 *    model's interface (the input and output shapes OctetModel reports and the CPU backend runs
 *    too), not only what the GPU runs; and it must see SHAPE ops before folding turns their
 *    batch-1 results into constants it could not rewrite.
 *  - dequantizeGraph (dequantize-graph.ts) makes another model, the float twin, which its caller
 *    loads as a model of its own (and which then goes through this list).
 *  - quantizeGraph stays in src/quantize/: it needs calibration data, so it is no load pass, and
 *    it writes a new model (its ops renumbered) rather than preparing one to run.
 */
export const GPU_LOAD_PASSES: readonly GraphPass[] = [
  { name: 'fold-constants', run: (graph, ctx) => foldConstants(graph, { requantization: ctx.requantization }) },
  { name: 'canonicalize-for-gpu', run: (graph, ctx) => canonicalizeForGpu(graph, ctx.newOpIndex) },
  { name: 'fold-pad', dropsActivations: true, run: (graph) => foldPadIntoConvolution(graph) },
  { name: 'fuse-add', dropsActivations: true, run: (graph) => fuseAddIntoConvolution(graph) },
  { name: 'fuse-table', dropsActivations: true, run: (graph, ctx) => fuseTableIntoProducer(graph, referenceOptions(ctx)) },
  { name: 'tabulate-byte-ops', run: (graph, ctx) => tabulateConstantOperands(graph, referenceOptions(ctx)) },
  { name: 'place-concat', dropsActivations: true, run: (graph) => placeConcatenationInputs(graph) },
];

/** What a pass evaluating ops with the CPU reference passes it: the program's requantization and delegation. */
function referenceOptions(ctx: PassContext): { requantization: RequantizationMode; xnnpackDelegate: boolean } {
  return { requantization: ctx.requantization, xnnpackDelegate: ctx.xnnpackDelegate };
}

/** `graph` after each of `passes` in order; throws when a pass leaves two ops with one index. */
export function runPasses(graph: Graph, passes: readonly GraphPass[], options: { requantization: RequantizationMode }): Graph {
  const ctx: PassContext = { requantization: options.requantization, xnnpackDelegate: xnnpackDelegateApplies(graph), newOpIndex: opIndexAllocator(graph) };
  let current = graph;
  for (const pass of passes) {
    current = pass.run(current, ctx);
    checkOpIndices(current, graph, `pass '${pass.name}'`);
  }
  return current;
}
