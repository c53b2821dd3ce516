// Browser entry (`octet`): everything that runs without Node. Acquire a GPU with requestGpuContext().
// Every type that an exported signature names is exported too (TypeDoc warns otherwise).
export { OctetModel, describeContext, type Backend, type LoadOptions, type ModelInfo, type DetailedResult } from './runtime/model.ts';
export {
  GpuProgram,
  InputError,
  DisposedError,
  type GpuProgramOptions,
  type RunOptions,
  type GpuOutputRunOptions,
  type ModelInput,
  type RunResult,
  type LayerTime,
  type StepInfo,
} from './runtime/gpu-program.ts';
export type { Plan, BufferSlot } from './runtime/plan.ts';
export type { GpuMemoryStats } from './gpu/memory.ts';
export type { TensorData } from './kernels/layout.ts';
export { batchGraph, BatchError } from './passes/batch.ts';
export { dequantizeGraph, dequantizeInputs, quantizeOutputs } from './passes/dequantize-graph.ts';
export {
  compareModels,
  type ComparisonReport,
  type CompareOptions,
  type ComparisonItem,
  type ComparedModel,
  type LayerReport,
  type OutputComparison,
  type LatencySummary,
  type ComparisonDataset,
  type LayerComparison,
  type ComparisonProgress,
} from './compare/compare.ts';
export {
  quantizeFloatModel,
  quantizeFloatModelToTflite,
  QuantizeError,
  type QuantizeOptions,
  type QuantizedModel,
  type TensorRangeReport,
  type ParamsSource,
  type CalibrationSample,
} from './quantize/index.ts';
export { GpuContext, requestGpuContext, type GpuContextOptions } from './gpu/context.ts';
export { describeAdapter, formatCapabilityReport, type CapabilityReport } from './gpu/capabilities.ts';
export type { Int8Arithmetic } from './kernels/lowering.ts';
export type { KernelTiles } from './kernels/tuned-tiles.ts';
export type { ConvKernel, WorkgroupConvTile } from './kernels/conv2d-shared.ts';
export { NoWebGPUError, GpuValidationError, DeviceLostError } from './gpu/errors.ts';
export * from './model/index.ts';
export {
  prepareReference,
  runReference,
  runReferenceAll,
  ReferenceRunError,
  type RequantizationMode,
  type PreparedReference,
  type ReferenceOptions,
  type TensorData as ReferenceTensorData,
} from './reference/index.ts';
export * from './quant/index.ts';
export * from './image/index.ts';
export * from './tasks/index.ts';
// Every error class, each an OctetError with a stable `code` (test/errors.test.ts finds them all).
export { OctetError, AssetsNotFoundError, EvalSetError, CliError } from './errors.ts';
export { CompareError } from './compare/compare.ts';
export { DequantizeError } from './passes/dequantize-graph.ts';
export { LoweringError } from './kernels/lowering.ts';
export { ConvFamilyShapeError } from './model/conv-family.ts';
export { DetectionShapeError } from './model/detection-postprocess.ts';
export { ReduceShapeError } from './model/reduce-shape.ts';
export { UnaryOpError } from './quant/unary.ts';
export { Int64RangeError, UnsupportedLayoutError } from './kernels/layout.ts';
