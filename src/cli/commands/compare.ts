// `octet compare <int8.tflite> [--float <float.tflite>] --dataset <dir>`: the int8 model and its
// float counterpart (a float file, else the int8 model dequantized) on the same eval items:
// top-1 of each, agreement, output differences, per-layer SQNR, weight bytes, latency.
import { requestNodeGpuContext, type NodeBackend } from '../../gpu/node-gpu.ts';
import type { GpuContext } from '../../gpu/context.ts';
import { compareModels, CompareError, type ComparisonReport } from '../../compare/compare.ts';
import { evalSetDataset } from '../../compare/datasets-node.ts';
import { formatComparison } from '../../compare/format.ts';
import type { RequantizationMode } from '../../reference/run.ts';
import type { Backend } from '../../runtime/model.ts';
import { CliError } from '../errors.ts';
import { requireDirectory } from '../files.ts';
import { importModelFile } from '../load-model.ts';
import { createProgress, type ProgressStream } from '../progress.ts';

export interface CompareCommandOptions {
  /** The 8-bit model file. */
  int8: string;
  /** A float model file of the same network; omitted: the int8 model dequantized. */
  float?: string;
  dataset: string;
  limit?: number;
  /** Items whose activations are captured for per-layer SQNR (default 10; 0: off). */
  captureInputs?: number;
  /** Items with a timed (timestamp-query) run of each model (default 20). */
  timedInputs?: number;
  /** Backend of the int8 side (default 'gpu'); the float side always runs on the GPU. */
  backend?: Backend;
  requantization?: RequantizationMode;
  adapter?: NodeBackend;
  /** Where progress goes; default stderr. `null` silences it. */
  progress?: ProgressStream | null;
  /** A GPU context to use instead of acquiring one (tests, in-process callers). */
  context?: GpuContext;
}

export interface CompareCommandResult {
  report: ComparisonReport;
  /** The report as terminal text. */
  format(): string;
}

export { formatComparison };

function optionalCount(value: number | undefined, what: string, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) throw new CliError(`${what} must be an integer ≥ ${min}, got ${value}`);
}

export async function compareCommand(opts: CompareCommandOptions): Promise<CompareCommandResult> {
  optionalCount(opts.limit, '--limit', 1);
  optionalCount(opts.captureInputs, '--capture', 0);
  optionalCount(opts.timedInputs, '--timed', 0);
  requireDirectory(opts.dataset, 'dataset folder');
  const int8 = importModelFile(opts.int8);
  const float = opts.float ? importModelFile(opts.float) : undefined;
  let dataset;
  try {
    dataset = evalSetDataset(opts.dataset);
  } catch (e) {
    throw new CliError(e instanceof Error ? e.message : String(e), { cause: e });
  }
  const context = opts.context ?? (await requestNodeGpuContext({ backend: opts.adapter ?? 'auto' }));
  const total = Math.min(opts.limit ?? dataset.items.length, dataset.items.length);
  const progress = opts.progress === null ? undefined : createProgress(`compare ${int8.name}`, total, opts.progress ?? process.stderr);
  try {
    const report = await compareModels({
      int8,
      float,
      context,
      dataset,
      limit: opts.limit,
      captureInputs: opts.captureInputs,
      timedInputs: opts.timedInputs,
      int8Backend: opts.backend ?? 'gpu',
      requantization: opts.requantization,
      onProgress: (p) =>
        progress?.update(p.done, `int8 ${((100 * p.int8Correct) / p.done).toFixed(1)}%  float ${((100 * p.floatCorrect) / p.done).toFixed(1)}%  agree ${((100 * p.agreed) / p.done).toFixed(1)}%`),
    });
    return { report, format: () => formatComparison(report) };
  } catch (e) {
    if (e instanceof CompareError) throw new CliError(e.message, { cause: e });
    throw e;
  } finally {
    progress?.finish();
  }
}
