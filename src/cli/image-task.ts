// What `octet detect`, `segment` and `pose` share: open the model, decode one image, preprocess it
// the way classify does (the model's metadata, else Octet's table by file name, else the dtype
// default: chooseInputRecipe) and run it once.
import { decodeImage, type RgbImage } from '../image/decode.ts';
import { chooseInputRecipe, imageToModelInput, type RecipeSource } from '../image/preprocess.ts';
import type { ModelMetadata } from '../model/metadata.ts';
import type { TensorData } from '../kernels/layout.ts';
import type { OctetModel } from '../runtime/model.ts';
import { CliError } from './errors.ts';
import { readBytes } from './files.ts';
import { modelMetadataOfFile, openModel, type ModelOptions } from './load-model.ts';

export interface ImageTaskRun {
  model: OctetModel;
  metadata: ModelMetadata | undefined;
  image: RgbImage;
  recipe: string;
  recipeSource: RecipeSource;
  outputs: TensorData[];
}

/**
 * Runs `task` on the model's outputs for one image and disposes of the model afterwards. `check`
 * runs before the image is decoded and the model is run, so a model whose outputs do not fit the
 * task fails fast with its TaskError.
 */
export async function withImageTask<T>(
  task: string,
  modelPath: string,
  imagePath: string,
  options: ModelOptions,
  check: (model: OctetModel, metadata: ModelMetadata | undefined) => void,
  use: (run: ImageTaskRun) => T,
): Promise<T> {
  const metadata = modelMetadataOfFile(modelPath);
  const model = await openModel(modelPath, options);
  try {
    const name = model.graph.name;
    if (model.inputs.length !== 1) throw new CliError(`${name} has ${model.inputs.length} inputs; ${task} needs a single image input`);
    const input = model.inputs[0];
    const chosen = chooseInputRecipe(name, input, metadata);
    if (!chosen) throw new CliError(`${name}: input '${input.name}' ${input.dtype} [${input.shape.join(',')}] is not an image input`);
    check(model, metadata);
    const image = decodeImage(readBytes(imagePath, 'image file'), imagePath);
    const outputs = await model.run(imageToModelInput(image, input, { recipe: chosen.recipe }));
    return use({ model, metadata, image, recipe: chosen.recipe.name, recipeSource: chosen.source, outputs });
  } finally {
    model.dispose();
  }
}

export function recipeLine(recipe: string, source: RecipeSource, labels: string | null): string {
  const from = { metadata: "the model's metadata", table: "Octet's table of known models", default: 'the default for its input type' }[source];
  return `(input: ${recipe}, from ${from}; labels: ${labels ?? 'none, class indices'})`;
}
