// Pose heads: MoveNet-style single-pose output [1, 1, K, 3] of (y, x, score) per keypoint, the
// coordinates in [0, 1] of the model input (so of the whole original image: Octet resizes it
// without crop). 8-bit outputs are dequantized first.
import type { TensorData } from '../kernels/layout.ts';
import { TaskError, type GraphIO } from './detection.ts';
import { COCO_KEYPOINTS } from './labels.ts';

export interface Keypoint {
  name: string;
  /** Fractions of the image width and height. */
  x: number;
  y: number;
  score: number;
}

/** The keypoint count of a single-pose output [1,1,K,3]; TaskError naming the shape otherwise. */
export function poseKeypointCount(graph: GraphIO, outputIndex = 0): number {
  const t = graph.tensors[graph.outputs[outputIndex]!];
  if (!t) throw new TaskError(`${graph.name}: has no output ${outputIndex}`);
  const s = t.shape;
  if (!(s.length === 4 && s[0] === 1 && s[1] === 1 && s[3] === 3)) {
    throw new TaskError(`${graph.name}: output ${outputIndex} [${s.join(',')}] is not a single-pose keypoint tensor [1,1,K,3] of (y, x, score)`);
  }
  return s[2]!;
}

export function keypointsOf(graph: GraphIO, outputs: readonly TensorData[], outputIndex = 0): Keypoint[] {
  poseKeypointCount(graph, outputIndex);
  const t = graph.tensors[graph.outputs[outputIndex]!]!;
  const data = outputs[outputIndex];
  if (!data) throw new TaskError(`${graph.name}: output ${outputIndex} missing`);
  const s = t.shape;
  const q = t.dtype === 'float32' ? undefined : t.quant;
  const real = (i: number) => (q ? q.scale[0]! * (Number(data[i]) - q.zeroPoint[0]!) : Number(data[i]));
  return Array.from({ length: s[2]! }, (_, k) => ({
    name: s[2] === COCO_KEYPOINTS.length ? COCO_KEYPOINTS[k]! : `keypoint ${k}`,
    y: real(3 * k),
    x: real(3 * k + 1),
    score: real(3 * k + 2),
  }));
}
