// `octet quantize`: post-training int8 quantization of a float .tflite model, calibrated with
// min/max over inputs from an eval-set folder, written as a .tflite file.
import { statSync } from 'node:fs';
import { quantizeFloatModelToTflite, type TensorRangeReport } from '../../quantize/index.ts';
import { loadCalibrationInputs } from '../../quantize/dataset-node.ts';
import { writeBytes, requireDirectory } from '../files.ts';
import { importModelFile, modelNameFromPath } from '../load-model.ts';

export interface QuantizeCommandOptions {
  calibration: string;
  /** Use the first `count` items of the calibration folder (default 100). */
  count?: number;
  perTensor?: boolean;
  floatIO?: boolean;
  output: string;
}

export interface QuantizeCommandResult {
  model: string;
  output: string;
  calibrationInputs: number;
  floatBytes: number;
  int8Bytes: number;
  ratio: number;
  ranges: TensorRangeReport[];
}

export function quantizeModelFile(path: string, options: QuantizeCommandOptions): QuantizeCommandResult {
  requireDirectory(options.calibration, 'calibration folder');
  const graph = importModelFile(path);
  const count = options.count ?? 100;
  const inputs = loadCalibrationInputs(options.calibration, graph, modelNameFromPath(path), {
    select: (items) => items.slice(0, count),
  });
  const { tflite, ranges } = quantizeFloatModelToTflite(graph, inputs, { perTensor: options.perTensor, floatIO: options.floatIO });
  writeBytes(options.output, tflite, 'quantized model');
  const floatBytes = statSync(path).size;
  return {
    model: modelNameFromPath(path),
    output: options.output,
    calibrationInputs: inputs.length,
    floatBytes,
    int8Bytes: tflite.length,
    ratio: tflite.length / floatBytes,
    ranges,
  };
}

export function formatQuantize(r: QuantizeCommandResult): string {
  const fmt = (v: number) => (Number.isNaN(v) ? '–' : v.toPrecision(4));
  const rows = r.ranges.map(
    (t) => `  ${t.name.padEnd(48).slice(0, 48)} [${fmt(t.min)}, ${fmt(t.max)}] → scale ${t.scale.toPrecision(4)} zp ${t.zeroPoint} (${t.source}${t.from ? ` from ${t.from}` : ''})`,
  );
  return [
    `${r.model}: calibrated on ${r.calibrationInputs} inputs`,
    'activation ranges (observed min, max → int8 params):',
    ...rows,
    `wrote ${r.output}: ${r.int8Bytes} bytes, ${(100 * r.ratio).toFixed(1)}% of the float file (${r.floatBytes} bytes)`,
  ].join('\n');
}
