// Import and write-back of the unary activations and math: options survive a round trip through
// the writer, and a LEAKY_RELU slope that is not a finite number is refused by name.
import { expect, test } from 'vitest';
import { ModelFormatError } from '../../src/model/errors.ts';
import { importTflite } from '../../src/model/import.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { quant } from '../helpers/graphs.ts';
import { unaryFanGraph } from '../helpers/unary-graphs.ts';

test('every unary op and its options round-trip through the writer', () => {
  const graph = unaryFanGraph('int8', [1, 5], quant(0.05, 1), [
    { type: 'HARD_SWISH', output: { scale: 0.04, zeroPoint: 2 } },
    { type: 'LEAKY_RELU', options: { alpha: -0.25 }, output: { scale: 0.04, zeroPoint: 2 } },
    { type: 'GELU', options: { approximate: true }, output: { scale: 0.04, zeroPoint: 2 } },
    ...(['TANH', 'ELU', 'RELU_N1_TO_1', 'RELU_0_TO_1', 'EXP', 'LOG', 'SQRT', 'RSQRT', 'ABS', 'NEG', 'SQUARE'] as const).map((type) => ({ type, output: { scale: 0.04, zeroPoint: 2 } })),
  ], 'unary');
  const back = importTflite(exportTflite(graph));
  expect(back.ops.map((op) => [op.type, op.options])).toEqual(graph.ops.map((op) => [op.type, op.options]));
});

test('LEAKY_RELU with a NaN or infinite alpha is refused at import', () => {
  for (const alpha of [NaN, Infinity]) {
    const graph = unaryFanGraph('int8', [1, 5], quant(0.05, 1), [{ type: 'LEAKY_RELU', options: { alpha }, output: { scale: 0.04, zeroPoint: 2 } }], 'bad');
    expect(() => importTflite(exportTflite(graph))).toThrow(ModelFormatError);
    expect(() => importTflite(exportTflite(graph))).toThrow(/alpha/);
  }
});
