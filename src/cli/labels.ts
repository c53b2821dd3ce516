// Class names for a classifier output: an explicit --labels file, else the shared assets' list
// chosen by model name and class count, else none (indices only).
import { loadLabelsForModel } from '../data/datasets-node.ts';
import { parseLabels } from '../data/labels.ts';
import { CliError } from './errors.ts';
import { readText } from './files.ts';

export function resolveLabels(modelName: string, numClasses: number, labelsFile?: string): string[] | undefined {
  if (labelsFile) {
    const labels = parseLabels(readText(labelsFile, 'labels file'));
    if (labels.length !== numClasses) {
      throw new CliError(`${labelsFile}: ${labels.length} labels, but the model outputs ${numClasses} classes`);
    }
    return labels;
  }
  return loadLabelsForModel(modelName, numClasses);
}
