// `octet run`: raw tensors in, raw tensors out, in the model's own dtypes (little-endian).
import type { TensorData } from '../../kernels/layout.ts';
import { CliError } from '../errors.ts';
import { readBytes, writeBytes } from '../files.ts';
import { openModel, type ModelOptions } from '../load-model.ts';
import { bytesToTensor, describeTensor, tensorToBytes } from '../tensor-bytes.ts';

export interface RunCommandOptions extends ModelOptions {
  /** One raw file per model input, in the model's input order. */
  inputs: string[];
  /** One file per model output; when absent the values are returned for printing instead. */
  outputs?: string[];
}

export interface RunCommandResult {
  model: string;
  backend: string;
  seconds: number;
  outputs: { tensor: string; data: TensorData; file?: string; bytes: number }[];
}

export async function runModel(modelPath: string, options: RunCommandOptions): Promise<RunCommandResult> {
  const model = await openModel(modelPath, options);
  try {
    const modelInputs = model.inputs;
    const modelOutputs = model.outputs;
    if (options.inputs.length !== modelInputs.length) {
      throw new CliError(
        `model has ${modelInputs.length} input(s) (${modelInputs.map(describeTensor).join(', ')}); got ${options.inputs.length} --input file(s)`,
      );
    }
    const outputFiles = options.outputs ?? [];
    if (outputFiles.length > 0 && outputFiles.length !== modelOutputs.length) {
      throw new CliError(
        `model has ${modelOutputs.length} output(s) (${modelOutputs.map(describeTensor).join(', ')}); got ${outputFiles.length} --output file(s)`,
      );
    }
    const tensors = options.inputs.map((file, i) => bytesToTensor(readBytes(file, 'input file'), modelInputs[i], file));
    const start = performance.now();
    const results = await model.run(tensors);
    const seconds = (performance.now() - start) / 1000;
    const outputs = results.map((data, i) => {
      const bytes = tensorToBytes(data);
      const file = outputFiles[i];
      if (file) writeBytes(file, bytes, 'output file');
      return { tensor: describeTensor(modelOutputs[i]), data, file, bytes: bytes.length };
    });
    return { model: model.graph.name, backend: model.backend, seconds, outputs };
  } finally {
    model.dispose();
  }
}

export function formatRunResult(r: RunCommandResult): string {
  return r.outputs
    .map((o) =>
      o.file
        ? `${o.file}: output ${o.tensor}, ${o.bytes} bytes`
        : `output ${o.tensor}: ${Array.from(o.data as ArrayLike<number>).join(' ')}`,
    )
    .join('\n');
}
