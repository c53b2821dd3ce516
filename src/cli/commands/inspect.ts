// `octet inspect`: what a model contains, without running it.
import { formatSummary, inspectGraph, type ModelSummary } from '../../model/inspect.ts';
import { importModelFile } from '../load-model.ts';

export function inspectModel(path: string): ModelSummary {
  return inspectGraph(importModelFile(path));
}

export { formatSummary };
