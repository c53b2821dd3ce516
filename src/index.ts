// Browser entry: everything that runs without Node. Acquire a GPU with requestGpuContext().
export { OctetModel, describeContext, type Backend, type LoadOptions, type ModelInfo, type DetailedResult } from './runtime/model.ts';
export { GpuProgram, InputError, DisposedError, type RunOptions, type RunResult, type LayerTime } from './runtime/gpu-program.ts';
export type { TensorData } from './runtime/layout.ts';
export { batchGraph, BatchError } from './runtime/batch.ts';
export { dequantizeGraph, dequantizeInputs, quantizeOutputs } from './float/dequantize-graph.ts';
export { compareModels, type ComparisonReport } from './compare/compare.ts';
export { quantizeFloatModel, quantizeFloatModelToTflite, QuantizeError } from './quantize/index.ts';
export { GpuContext, requestGpuContext, type GpuContextOptions } from './gpu/context.ts';
export { describeAdapter, formatCapabilityReport, type CapabilityReport } from './gpu/capabilities.ts';
export { NoWebGPUError, GpuValidationError, DeviceLostError } from './gpu/errors.ts';
export * from './model/index.ts';
export { prepareReference, runReference, runReferenceAll, ReferenceError, type RequantizationMode } from './reference/index.ts';
export * from './quant/index.ts';
export * from './image/index.ts';
