// A valid .tflite file with operators Octet does not read (LSTM, SVDF, RNN: recurrent ops nobody
// implements here), for the tests of listings and of errors that name every unsupported op: five
// int8 RELUs in a chain, the first, third, fourth and fifth written under those builtin codes
// (RELU has no options table, so the file stays valid for any code).
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { TflBuiltinOperator } from '../../src/model/tflite-schema.ts';
import { GraphBuilder, quant } from './graphs.ts';

/** The names, in first-use order, that a listing of UNSUPPORTED_MODEL reports. */
export const UNSUPPORTED_MODEL_OPS = ['LSTM', 'SVDF', 'RNN'];
export const UNSUPPORTED_MODEL_OPERATORS = 5;
/** How many of its operators are unsupported (operator 1 is a plain RELU). */
export const UNSUPPORTED_MODEL_REFUSED = 4;

const CODES = [16 /* LSTM */, TflBuiltinOperator.RELU, 27 /* SVDF */, 24 /* RNN */, 16 /* LSTM */];

export function unsupportedModelBytes(): Uint8Array {
  const b = new GraphBuilder();
  const q = quant(0.05, -3);
  let previous = b.tensor('input', [1, 8], 'int8', q);
  const input = previous;
  for (let i = 0; i < CODES.length; i++) {
    const next = b.tensor(`t${i}`, [1, 8], 'int8', q);
    b.op({ type: 'RELU', inputs: [previous], outputs: [next], options: {} });
    previous = next;
  }
  const graph = b.build([input], [previous], 'unsupported ops');
  return exportTflite(graph, { builtinCodeOf: (op) => CODES[op.index]! });
}
