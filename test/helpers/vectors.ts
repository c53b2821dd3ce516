// The shared reference vectors: inputs and TFLite's outputs for every asset model.
import { readFileSync } from 'node:fs';
import { assetPath } from '../../src/assets-node.ts';
import type { TensorData } from '../../src/kernels/layout.ts';

export interface VectorEntry {
  model: string;
  input_file: string;
  output_file: string;
  input_dtype: 'uint8' | 'int8' | 'float32';
  output_dtype: 'uint8' | 'int8' | 'float32';
  output_len: number;
}

export function readTyped(path: string, dtype: VectorEntry['input_dtype']): TensorData {
  const copy = new Uint8Array(readFileSync(assetPath(path)));
  if (dtype === 'float32') return new Float32Array(copy.buffer, 0, copy.length / 4);
  return dtype === 'int8' ? new Int8Array(copy.buffer) : copy;
}

export function vectorEntries(): VectorEntry[] {
  return JSON.parse(readFileSync(assetPath('reference', 'vectors', 'vectors.json'), 'utf8')) as VectorEntry[];
}

export function modelBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(assetPath(path)));
}
