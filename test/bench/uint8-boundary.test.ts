// The uint8 boundary the browser bench gives int8-I/O models for LiteRT.js (whose API has no int8
// tensors): written with tflite-writer and run in the real TFLite runtime, the rewritten model must
// give TFLite's own int8 outputs + 128, byte for byte, on the reference inputs + 128.
import { describe, expect, it } from 'vitest';
import { importTflite } from '../../src/model/import.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { withUint8Boundary } from '../../bench/peers/uint8-boundary.ts';
import { modelBytes, readTyped, vectorEntries } from '../helpers/vectors.ts';

const MODELS = ['models/mlperf-tiny/pretrainedResnet_quant.tflite', 'models/mlperf-tiny/vww_96_int8.tflite'];

describe('uint8 boundary for int8-I/O models', () => {
  for (const path of MODELS) {
    it(`${path}: TFLite on the rewritten model = TFLite's int8 outputs + 128`, async () => {
      const graph = importTflite(modelBytes(path));
      const wrapped = withUint8Boundary(graph)!;
      expect(wrapped.inputs.map((id) => wrapped.tensors[id]!.dtype)).toEqual(['uint8']);
      expect(wrapped.outputs.map((id) => wrapped.tensors[id]!.dtype)).toEqual(['uint8']);
      expect(wrapped.ops.map((op) => op.type)).toEqual(['QUANTIZE', ...graph.ops.map((op) => op.type), 'QUANTIZE']);
      const peer = await createTflitePeer(exportTflite(wrapped), 1);
      const entries = vectorEntries().filter((v) => v.model === path);
      expect(entries.length).toBeGreaterThan(0);
      for (const v of entries) {
        const input = readTyped(v.input_file, 'int8') as Int8Array;
        const expected = readTyped(v.output_file, 'int8') as Int8Array;
        const [out] = peer.run([Uint8Array.from(input, (q) => q + 128)]);
        expect(out).toBeInstanceOf(Uint8Array);
        expect(Array.from(out as Uint8Array, (q) => q - 128)).toEqual(Array.from(expected));
      }
    });
  }

  it('leaves a model without int8 inputs or outputs alone', () => {
    expect(withUint8Boundary(importTflite(modelBytes('models/coral/mobilenet_v2_1.0_224_quant.tflite')))).toBeUndefined();
    expect(withUint8Boundary(importTflite(modelBytes('models/mlperf-tiny/pretrainedResnet.tflite')))).toBeUndefined();
  });
});
