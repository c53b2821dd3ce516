// `octet pose`: one image → a single person's keypoints (MoveNet-style [1,1,K,3] outputs) with scores.
import type { RecipeSource } from '../../image/preprocess.ts';
import { keypointsOf, poseKeypointCount, type Keypoint } from '../../tasks/pose.ts';
import { recipeLine, withImageTask } from '../image-task.ts';
import type { ModelOptions } from '../load-model.ts';

export interface PoseResult {
  model: string;
  backend: string;
  image: string;
  width: number;
  height: number;
  recipe: string;
  recipeSource: RecipeSource;
  /** In the model's order; x and y are fractions of the image width and height. */
  keypoints: Keypoint[];
}

export async function estimatePose(modelPath: string, imagePath: string, options: ModelOptions = {}): Promise<PoseResult> {
  return withImageTask(
    'pose',
    modelPath,
    imagePath,
    options,
    (model) => {
      poseKeypointCount(model.graph);
    },
    ({ model, image, recipe, recipeSource, outputs }) => ({
      model: model.graph.name,
      backend: model.backend,
      image: imagePath,
      width: image.width,
      height: image.height,
      recipe,
      recipeSource,
      keypoints: keypointsOf(model.graph, outputs),
    }),
  );
}

export function formatPose(r: PoseResult): string {
  const lines = [`${r.image} (${r.width}x${r.height}): ${r.keypoints.length} keypoints`];
  for (const k of r.keypoints) {
    lines.push(`  ${k.score.toFixed(4)}  ${k.name.padEnd(16)}  x ${String(Math.round(k.x * r.width)).padStart(5)}, y ${String(Math.round(k.y * r.height)).padStart(5)}`);
  }
  lines.push(recipeLine(r.recipe, r.recipeSource, r.keypoints.length === 17 ? 'the 17 COCO keypoints' : 'keypoint indices'));
  return lines.join('\n');
}
