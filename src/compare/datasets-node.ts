// An eval set from the shared assets as a ComparisonDataset (Node only): each model gets the
// input its own recipe makes from the item (recipeForModel keys on the graph's name, so name
// graphs after their file, e.g. importTflite(bytes, 'vww_96_int8')).
import { basename, resolve } from 'node:path';
import { listEvalSet, loadEvalInput, type EvalItem, type ListEvalSetOptions } from '../data/datasets-node.ts';
import { recipeForModel, type InputRecipe } from '../image/preprocess.ts';
import type { Graph } from '../model/graph.ts';
import { CompareError, type ComparisonDataset } from './compare.ts';

export interface EvalSetDataset extends ComparisonDataset<EvalItem> {
  dir: string;
  /** Classes from y_labels.csv (raw sets). */
  classes?: number;
}

export function evalSetDataset(dir: string, options: ListEvalSetOptions = {}): EvalSetDataset {
  const root = resolve(dir);
  const set = listEvalSet(root, options);
  const recipes = new WeakMap<Graph, InputRecipe | undefined>();
  return {
    name: basename(root),
    dir: root,
    classes: set.classes,
    items: set.items,
    load(item, graph) {
      if (graph.inputs.length !== 1) throw new CompareError(`'${graph.name}' has ${graph.inputs.length} inputs; eval sets feed single-input models`);
      const input = graph.tensors[graph.inputs[0]!]!;
      if (!recipes.has(graph)) recipes.set(graph, recipeForModel(graph.name, input));
      return loadEvalInput(item, root, input, recipes.get(graph));
    },
  };
}
