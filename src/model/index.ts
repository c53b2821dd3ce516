// Public surface of the model stage: the Graph IR, the TFLite importer/writer, errors, inspection.
export * from './graph.ts';
export * from './errors.ts';
export { importTflite, importTfliteListing, SUPPORTED_OP_TYPES } from './import.ts';
export { exportTflite } from './tflite-writer.ts';
export type { ExportOptions } from './tflite-writer.ts';
export { inspectGraph, formatSummary, describeQuant } from './inspect.ts';
export type { ModelSummary, TensorSummary, IODescription, OperatorSummary, OpPlacement } from './inspect.ts';
export { readTfliteMetadata, labelsFromMetadata, TFLITE_METADATA_NAME, METADATA_FILE_IDENTIFIER } from './metadata.ts';
export type { ModelMetadata, TensorMetadataInfo, AssociatedFileInfo, AssociatedFileType, ContentInfo, ColorSpaceType, BoundingBoxType, CoordinateType } from './metadata.ts';
