// Calibration inputs from a labelled eval-set folder (Node only), in the float model's own input
// format: the same readers and image recipes that evaluation uses, so that calibration sees
// exactly the preprocessing the model will see.
import { listEvalSet, loadEvalInput, type EvalItem } from '../data/datasets-node.ts';
import type { Graph } from '../model/graph.ts';
import { recipeForModel } from '../image/preprocess.ts';
import { QuantizeError } from './errors.ts';

export interface CalibrationSetOptions {
  /** Which items of the set to use (after listing); default all. */
  select?: (items: readonly EvalItem[]) => readonly EvalItem[];
}

/**
 * Reads calibration samples for a single-input float model from an eval-set folder (image set or
 * MLPerf raw set). `modelName` picks the input recipe (e.g. raw pixels for ResNet-8 float, p/255
 * for VWW float; see image/preprocess.ts).
 */
export function loadCalibrationInputs(dir: string, graph: Graph, modelName: string, options: CalibrationSetOptions = {}): Float32Array[] {
  if (graph.inputs.length !== 1) {
    throw new QuantizeError(`calibration sets feed one input; graph '${graph.name}' has ${graph.inputs.length}`);
  }
  const input = graph.tensors[graph.inputs[0]];
  if (input.dtype !== 'float32') throw new QuantizeError(`input '${input.name}' is ${input.dtype}; calibration needs the float model`);
  const set = listEvalSet(dir);
  const items = options.select ? options.select(set.items) : set.items;
  if (items.length === 0) throw new QuantizeError(`${dir}: no calibration items selected`);
  const recipe = recipeForModel(modelName, input);
  return items.map((item) => loadEvalInput(item, dir, input, recipe) as Float32Array);
}
