// `octet detect`: one image → the objects a detector finds, as {box, class, label, score}.
import { decodeDetections, detectionHeadOf, detectionLabelsWithSource, type Detection, type DetectionHead } from '../../tasks/detection.ts';
import type { RecipeSource } from '../../image/preprocess.ts';
import { parseLabels } from '../../data/labels.ts';
import { CliError } from '../errors.ts';
import { readText } from '../files.ts';
import { recipeLine, withImageTask } from '../image-task.ts';
import type { ModelOptions } from '../load-model.ts';

export interface DetectCommandOptions extends ModelOptions {
  /** Minimum score; default per head (0.5 for TFLite_Detection_PostProcess models, 0.25 for YOLO). */
  threshold?: number;
  /** YOLO NMS IoU threshold (default 0.7). */
  iou?: number;
  /** Class names file, one per line (default: the model's metadata, Octet's table, COCO 80 for 80-class YOLO). */
  labels?: string;
}

export interface DetectResult {
  model: string;
  backend: string;
  image: string;
  /** The image's own size: boxes are fractions of it. */
  width: number;
  height: number;
  head: DetectionHead['kind'];
  recipe: string;
  recipeSource: RecipeSource;
  labelsSource: string | null;
  /** Best first; boxes in [0, 1] of the image (left, top, right, bottom). */
  detections: Detection[];
}

function checkFraction(value: number | undefined, flag: string): void {
  if (value !== undefined && !(value >= 0 && value <= 1)) throw new CliError(`${flag} must be a number in [0, 1], got ${value}`);
}

export async function detectObjects(modelPath: string, imagePath: string, options: DetectCommandOptions = {}): Promise<DetectResult> {
  checkFraction(options.threshold, '--threshold');
  checkFraction(options.iou, '--iou');
  let head: DetectionHead;
  return withImageTask(
    'detect',
    modelPath,
    imagePath,
    options,
    (model, metadata) => {
      head = detectionHeadOf(model.graph, metadata);
    },
    ({ model, metadata, image, recipe, recipeSource, outputs }) => {
      const name = model.graph.name;
      const resolved = options.labels
        ? { labels: parseLabels(readText(options.labels, 'labels file')), source: options.labels }
        : detectionLabelsWithSource(head, metadata, name);
      const detections = decodeDetections(
        model.graph,
        outputs,
        head,
        { scoreThreshold: options.threshold, iouThreshold: options.iou, labels: resolved?.labels ?? [] },
        metadata,
      );
      return {
        model: name,
        backend: model.backend,
        image: imagePath,
        width: image.width,
        height: image.height,
        head: head.kind,
        recipe,
        recipeSource,
        labelsSource: resolved?.source ?? null,
        detections,
      };
    },
  );
}

export function formatDetections(r: DetectResult): string {
  const lines = [`${r.image} (${r.width}x${r.height}): ${r.detections.length} object${r.detections.length === 1 ? '' : 's'}`];
  const px = (v: number, size: number) => String(Math.round(v * size)).padStart(5);
  for (const d of r.detections) {
    const { left, top, right, bottom } = d.box;
    lines.push(`  ${d.score.toFixed(4)}  ${d.label.padEnd(16)}  x ${px(left, r.width)} to ${px(right, r.width)}, y ${px(top, r.height)} to ${px(bottom, r.height)}`);
  }
  lines.push(recipeLine(r.recipe, r.recipeSource, r.labelsSource));
  return lines.join('\n');
}
