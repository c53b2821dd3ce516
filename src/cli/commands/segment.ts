// `octet segment`: one image → a class per pixel at the image's own resolution, a colored PNG of
// it (-o) and the pixel count per class.
import { encodePngRgba } from '../../image/encode-png.ts';
import type { RecipeSource } from '../../image/preprocess.ts';
import { labelsFromMetadata } from '../../model/metadata.ts';
import { parseLabels } from '../../data/labels.ts';
import { classHistogram, classMapOf, classMapToRgba, resizeClassMap, segmentationHeadOf } from '../../tasks/segmentation.ts';
import { PASCAL_VOC_LABELS } from '../../tasks/labels.ts';
import { readText, writeBytes } from '../files.ts';
import { recipeLine, withImageTask } from '../image-task.ts';
import type { ModelOptions } from '../load-model.ts';

export interface SegmentCommandOptions extends ModelOptions {
  /** Where to write the colored mask PNG (PASCAL VOC palette, background transparent). */
  output?: string;
  labels?: string;
}

export interface ClassShare {
  class: number;
  label: string;
  pixels: number;
  /** Of the image's pixels. */
  fraction: number;
}

export interface SegmentResult {
  model: string;
  backend: string;
  image: string;
  width: number;
  height: number;
  /** The model's own map size, before resizing to the image. */
  mapWidth: number;
  mapHeight: number;
  recipe: string;
  recipeSource: RecipeSource;
  labelsSource: string | null;
  /** Pixels per class at the image's resolution, most first. */
  classes: ClassShare[];
  /** The PNG written, if any. */
  mask: string | null;
}

export async function segmentImage(modelPath: string, imagePath: string, options: SegmentCommandOptions = {}): Promise<SegmentResult> {
  return withImageTask(
    'segment',
    modelPath,
    imagePath,
    options,
    (model) => {
      segmentationHeadOf(model.graph);
    },
    ({ model, metadata, image, recipe, recipeSource, outputs }) => {
      const map = classMapOf(model.graph, outputs);
      const full = resizeClassMap(map, image.width, image.height);
      const packed = metadata && labelsFromMetadata(metadata, 0);
      const resolved = options.labels
        ? { labels: parseLabels(readText(options.labels, 'labels file')), source: options.labels }
        : packed
          ? { labels: packed.labels, source: `metadata (${packed.file})` }
          : { labels: PASCAL_VOC_LABELS, source: 'PASCAL VOC 21' };
      if (options.output) writeBytes(options.output, encodePngRgba(classMapToRgba(full), full.width, full.height), 'mask PNG');
      return {
        model: model.graph.name,
        backend: model.backend,
        image: imagePath,
        width: image.width,
        height: image.height,
        mapWidth: map.width,
        mapHeight: map.height,
        recipe,
        recipeSource,
        labelsSource: resolved.source,
        classes: classHistogram(full, resolved.labels),
        mask: options.output ?? null,
      };
    },
  );
}

export function formatSegmentation(r: SegmentResult): string {
  const lines = [`${r.image} (${r.width}x${r.height}, model map ${r.mapWidth}x${r.mapHeight}):`];
  for (const c of r.classes) lines.push(`  ${(100 * c.fraction).toFixed(2).padStart(6)}%  ${String(c.class).padStart(4)}  ${c.label}`);
  if (r.mask) lines.push(`mask: ${r.mask} (PASCAL VOC colours, background transparent)`);
  lines.push(recipeLine(r.recipe, r.recipeSource, r.labelsSource));
  return lines.join('\n');
}
