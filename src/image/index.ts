// Browser-safe image input pipeline: decode → resize → model input tensor, plus label lists.
export { decodeImage, sniffImageFormat, ImageDecodeError, DEFAULT_MAX_PIXELS } from './decode.ts';
export type { RgbImage, ImageFormat, DecodeOptions } from './decode.ts';
export { resizeBilinear, resizeBilinearInto, resizeNearest } from './resize.ts';
export {
  RECIPES,
  recipeForModel,
  recipeFromMetadata,
  chooseInputRecipe,
  defaultRecipe,
  modelBaseName,
  imageInputLayout,
  inputImageSize,
  imageToModelInput,
  resizeToPixels,
  encodePixels,
  PreprocessError,
} from './preprocess.ts';
export type { InputRecipe, RecipeSource, ChosenRecipe, InputLayout, PixelEncoding, ImageToModelInputOptions, ModelInputArray } from './preprocess.ts';
export { ImageInputError } from './gpu-input.ts';
export type { ImageInput, ImageSource } from './gpu-input.ts';
export { parseLabels, labelsForModel, LABEL_FILES } from '../data/labels.ts';
