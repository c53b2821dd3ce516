// int8-versus-float comparison (browser-safe; eval sets from disk: ./datasets-node.ts).
export {
  compareModels,
  CompareError,
  defaultLabelOffset,
  sqnrDb,
  type ComparedModel,
  type CompareOptions,
  type ComparisonDataset,
  type ComparisonItem,
  type ComparisonProgress,
  type ComparisonReport,
  type LatencySummary,
  type LayerComparison,
  type LayerReport,
  type OutputComparison,
} from './compare.ts';
export { formatComparison } from './format.ts';
