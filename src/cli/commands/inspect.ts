// `octet inspect`: what a model contains and where each operator would run, without running it.
// Works on every well-formed model, also one Octet cannot run: unsupported operators are listed
// in place, all of them, with the reason.
import { gpuPlacement } from '../../kernels/registry.ts';
import { formatSummary, inspectGraph, type ModelSummary } from '../../model/inspect.ts';
import { listModelFile } from '../load-model.ts';

export function inspectModel(path: string): ModelSummary {
  const listing = listModelFile(path);
  return inspectGraph(listing, (op) => gpuPlacement(listing, op));
}

export { formatSummary };
