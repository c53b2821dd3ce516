// Drawing a task's result over the picture: labelled boxes, a translucent class mask, a skeleton
// of keypoints. Coordinates are fractions of the image (Octet resizes the whole image to the
// model's input, without crop), so they scale straight to any canvas size.
import { COCO_SKELETON, classMapToRgba, type RgbImage } from '../src/index.ts';
import type { TaskOutput } from './engine.ts';

export interface OverlayStyle {
  color: string;
  /** Dashed lines: the float32 result drawn over the int8 one. */
  dashed?: boolean;
  /** Box labels and keypoint dots; off for the second set of boxes on the same picture. */
  labels?: boolean;
}

/** Keypoints below this score are not drawn (MoveNet's own demos use 0.2–0.3). */
export const KEYPOINT_MIN_SCORE = 0.2;

/** Mask opacity: translucent enough to see the person under it. */
const MASK_ALPHA = 140;

/** What an overlay drew, for the page's data attributes (and the tests). */
export interface Drawn {
  boxes: number;
  maskPixels: number;
  keypoints: number;
}

export function drawTaskOutput(ctx: CanvasRenderingContext2D, output: TaskOutput, style: OverlayStyle): Drawn {
  const { width: w, height: h } = ctx.canvas;
  const drawn: Drawn = { boxes: 0, maskPixels: 0, keypoints: 0 };
  ctx.save();
  ctx.strokeStyle = style.color;
  ctx.fillStyle = style.color;
  ctx.lineWidth = Math.max(2, Math.round(Math.min(w, h) / 160));
  ctx.setLineDash(style.dashed ? [6, 4] : []);
  if (output.kind === 'detect') {
    ctx.font = `${Math.max(11, Math.round(h / 28))}px system-ui, sans-serif`;
    ctx.textBaseline = 'bottom';
    for (const d of output.detections) {
      const x = d.box.left * w;
      const y = d.box.top * h;
      ctx.strokeRect(x, y, (d.box.right - d.box.left) * w, (d.box.bottom - d.box.top) * h);
      drawn.boxes++;
      if (style.labels === false) continue;
      const text = `${d.label} ${(100 * d.score).toFixed(0)}%`;
      const tw = ctx.measureText(text).width + 6;
      const th = parseInt(ctx.font, 10) + 4;
      const ty = Math.max(th, y);
      ctx.fillRect(x, ty - th, tw, th);
      ctx.fillStyle = '#fff';
      ctx.fillText(text, x + 3, ty - 2);
      ctx.fillStyle = style.color;
    }
  } else if (output.kind === 'segment') {
    const { map } = output;
    const rgba = classMapToRgba(map, MASK_ALPHA);
    for (let i = 3; i < rgba.length; i += 4) if (rgba[i]) drawn.maskPixels++;
    const mask = new OffscreenCanvas(map.width, map.height);
    mask.getContext('2d')!.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, map.width, map.height), 0, 0);
    // Nearest neighbour, as resizeClassMap: a class boundary stays a boundary.
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(mask, 0, 0, w, h);
  } else if (output.kind === 'pose') {
    const k = output.keypoints;
    const shown = (i: number) => k[i] !== undefined && k[i]!.score >= KEYPOINT_MIN_SCORE;
    ctx.beginPath();
    for (const [a, b] of COCO_SKELETON) {
      if (!shown(a) || !shown(b)) continue;
      ctx.moveTo(k[a]!.x * w, k[a]!.y * h);
      ctx.lineTo(k[b]!.x * w, k[b]!.y * h);
    }
    ctx.stroke();
    const r = Math.max(3, Math.round(Math.min(w, h) / 80));
    k.forEach((p, i) => {
      if (!shown(i)) return;
      drawn.keypoints++;
      ctx.beginPath();
      ctx.arc(p.x * w, p.y * h, r, 0, 2 * Math.PI);
      ctx.fill();
    });
  }
  ctx.restore();
  return drawn;
}

/** The picture itself onto a canvas of at most maxSide pixels a side. */
export function drawImageTo(canvas: HTMLCanvasElement, rgb: RgbImage | ImageBitmap, maxSide: number): void {
  // A camera frame the GPU took as it is is drawn as it is too: no pixels through the CPU.
  if (rgb instanceof ImageBitmap) {
    fitCanvas(canvas, rgb.width, rgb.height, maxSide);
    canvas.getContext('2d')!.drawImage(rgb, 0, 0, canvas.width, canvas.height);
    return;
  }
  const full = new OffscreenCanvas(rgb.width, rgb.height);
  const image = new ImageData(rgb.width, rgb.height);
  for (let i = 0, j = 0; j < rgb.data.length; i += 4, j += 3) {
    image.data[i] = rgb.data[j]!;
    image.data[i + 1] = rgb.data[j + 1]!;
    image.data[i + 2] = rgb.data[j + 2]!;
    image.data[i + 3] = 255;
  }
  full.getContext('2d')!.putImageData(image, 0, 0);
  fitCanvas(canvas, rgb.width, rgb.height, maxSide);
  canvas.getContext('2d')!.drawImage(full, 0, 0, canvas.width, canvas.height);
}

/** Sizes the canvas to the picture scaled down to at most maxSide a side. */
function fitCanvas(canvas: HTMLCanvasElement, sourceWidth: number, sourceHeight: number, maxSide: number): void {
  const scale = Math.min(1, maxSide / Math.max(sourceWidth, sourceHeight));
  const width = Math.max(1, Math.round(sourceWidth * scale));
  const height = Math.max(1, Math.round(sourceHeight * scale));
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
}
