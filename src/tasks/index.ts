// Task heads: detection, segmentation and pose outputs decoded into what an application draws.
export { TaskError, detectionHeadOf, detectionLabels, decodeDetections, nonMaxSuppression, iou } from './detection.ts';
export type { GraphIO, Box, Detection, DetectionHead, DetectOptions } from './detection.ts';
export { classMapOf, resizeClassMap, classHistogram, classMapToRgba, segmentationColor } from './segmentation.ts';
export type { ClassMap } from './segmentation.ts';
export { keypointsOf } from './pose.ts';
export type { Keypoint } from './pose.ts';
export { COCO80_LABELS, PASCAL_VOC_LABELS, COCO_KEYPOINTS, COCO_SKELETON } from './labels.ts';
