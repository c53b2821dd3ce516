// `octet classify`: images → top-K classes with probabilities.
import { decodeImage } from '../../image/decode.ts';
import { chooseInputRecipe, imageToModelInput, type RecipeSource } from '../../image/preprocess.ts';
import { tensorElementCount } from '../../model/graph.ts';
import { CliError } from '../errors.ts';
import { readBytes } from '../files.ts';
import { resolveLabels } from '../labels.ts';
import { modelMetadataOfFile, openModel, type ModelOptions } from '../load-model.ts';
import { classProbabilities, rankIndices } from '../scores.ts';

export interface ClassifyOptions extends ModelOptions {
  labels?: string;
  top?: number;
}

export interface ClassPrediction {
  /** Output index (for 1001-class models index 0 is background). */
  index: number;
  label: string;
  /** Probability in [0, 1]. */
  score: number;
}

export interface ImageClassification {
  image: string;
  top: ClassPrediction[];
}

export interface ClassifyResult {
  model: string;
  backend: string;
  recipe: string;
  /** Where the recipe came from: the model's own metadata, Octet's table of asset models, or the dtype default. */
  recipeSource: RecipeSource;
  /** Where the class names came from (`--labels` file, `metadata (FILE)`, `assets (FILE)`), or null for indices only. */
  labelsSource: string | null;
  /** True when the model has no SOFTMAX at its output and the CLI applied one to the dequantized logits. */
  softmaxApplied: boolean;
  results: ImageClassification[];
}

export async function classifyImages(modelPath: string, images: string[], options: ClassifyOptions = {}): Promise<ClassifyResult> {
  const top = options.top ?? 5;
  if (!Number.isInteger(top) || top < 1) throw new CliError(`--top must be a positive integer, got ${options.top}`);
  if (images.length === 0) throw new CliError('no images given');
  const metadata = modelMetadataOfFile(modelPath);
  const model = await openModel(modelPath, options);
  try {
    const name = model.graph.name;
    if (model.inputs.length !== 1) throw new CliError(`${name} has ${model.inputs.length} inputs; classify needs a single image input`);
    const input = model.inputs[0];
    const chosen = chooseInputRecipe(name, input, metadata);
    if (!chosen) throw new CliError(`${name}: input '${input.name}' [${input.shape.join(',')}] is not an image input`);
    const { recipe } = chosen;
    const outputId = model.graph.outputs[0];
    const classes = tensorElementCount(model.graph.tensors[outputId].shape);
    const resolved = resolveLabels(name, classes, options.labels, metadata);
    const labels = resolved?.labels;
    let softmaxApplied = false;
    const results: ImageClassification[] = [];
    for (const image of images) {
      const pixels = decodeImage(readBytes(image, 'image file'), image);
      const [scores] = await model.run(imageToModelInput(pixels, input, { recipe }));
      const { probabilities, softmaxApplied: applied } = classProbabilities(model.graph, outputId, scores);
      softmaxApplied = applied;
      const best = rankIndices(scores, top);
      results.push({
        image,
        top: best.map((index) => ({ index, label: labels?.[index] ?? `class ${index}`, score: probabilities[index] })),
      });
    }
    return { model: name, backend: model.backend, recipe: recipe.name, recipeSource: chosen.source, labelsSource: resolved?.source ?? null, softmaxApplied, results };
  } finally {
    model.dispose();
  }
}

export function formatClassification(r: ClassifyResult): string {
  const from = { metadata: "the model's metadata", table: "Octet's table of known models", default: 'the default for its input type' }[r.recipeSource];
  const lines: string[] = [];
  for (const { image, top } of r.results) {
    lines.push(image);
    for (const p of top) lines.push(`  ${p.score.toFixed(4)}  ${String(p.index).padStart(4)}  ${p.label}`);
  }
  if (r.softmaxApplied) lines.push('(the model has no softmax output; scores are a softmax of its dequantized logits)');
  lines.push(`(input: ${r.recipe}, from ${from}; labels: ${r.labelsSource ?? 'none, class indices'})`);
  return lines.join('\n');
}
