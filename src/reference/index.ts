// The CPU reference: TFLite's integer (and float) op semantics on the Graph IR.
export { prepareReference, runReference, runReferenceAll, ReferenceRunError } from './run.ts';
export type { PreparedReference, ReferenceOptions, RequantizationMode, TensorData } from './run.ts';
