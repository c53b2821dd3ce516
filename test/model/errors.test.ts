// The importer's error paths: targeted corruptions with exact messages, then fast-check
// truncations, byte flips and word overwrites. Whatever the damage, importTflite must return a
// graph or throw one of the three typed errors: never a RangeError/TypeError, never hang.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { importTflite } from '../../src/model/import.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import {
  ModelFormatError,
  UnsupportedOpError,
  UnsupportedTensorTypeError,
  isModelError,
} from '../../src/model/errors.ts';
import type { Graph } from '../../src/model/graph.ts';
import { fieldAt, rootTable, subgraph0, tableInVector, tensorTable, vectorAt, view } from '../helpers/tflite-bytes.ts';

const helloInt8 = new Uint8Array(readFileSync(assetPath('models', 'tflite-micro', 'hello_world_int8.tflite')));
const microSpeech = new Uint8Array(readFileSync(assetPath('models', 'tflite-micro', 'micro_speech_quantized.tflite')));

function expectThrows<E extends Error>(fn: () => unknown, cls: new (...a: never[]) => E): E {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    return e as E;
  }
  throw new Error(`expected ${cls.name}, but nothing was thrown`);
}

const helloGraph = importTflite(helloInt8);
const constantTensor = helloGraph.tensors.find((t) => t.data)!;
const int8Tensor = helloGraph.tensors.find((t) => t.dtype === 'int8')!;

describe('targeted corruptions', () => {
  test('wrong file identifier', () => {
    const b = helloInt8.slice();
    b.set([0x41, 0x42, 0x43, 0x44], 4);
    const e = expectThrows(() => importTflite(b), ModelFormatError);
    expect(e.message).toContain("not a TFLite model: file identifier is 'ABCD'");
  });

  test('file shorter than a header', () => {
    const e = expectThrows(() => importTflite(helloInt8.slice(0, 5)), ModelFormatError);
    expect(e.message).toMatch(/5 bytes is too short/);
    expectThrows(() => importTflite(new Uint8Array(0)), ModelFormatError);
  });

  test('schema version other than 3', () => {
    const b = helloInt8.slice();
    view(b).setUint32(fieldAt(b, rootTable(b), 0), 2, true);
    const e = expectThrows(() => importTflite(b), ModelFormatError);
    expect(e.message).toMatch(/schema version 2 is not supported/);
  });

  test('huge vector lengths are rejected against the file size before allocating', () => {
    const b = helloInt8.slice();
    view(b).setUint32(vectorAt(b, subgraph0(b), 0), 0x7fffffff, true); // tensors
    const e = expectThrows(() => importTflite(b), ModelFormatError);
    expect(e.where).toBe('model → subgraphs[0] → tensors');
    expect(e.message).toMatch(/vector of 2147483647 × 4-byte elements .* lies outside the file \(2704 bytes\)/);

    const c = helloInt8.slice();
    view(c).setUint32(vectorAt(c, tensorTable(c, 0), 0), 0xffffffff, true); // tensor 0's shape
    expect(() => importTflite(c)).toThrow(ModelFormatError);
  });

  test('buffer index out of range names the tensor', () => {
    const b = helloInt8.slice();
    const bufferField = fieldAt(b, tensorTable(b, constantTensor.id), 2);
    expect(bufferField).not.toBe(0);
    view(b).setUint32(bufferField, 900, true);
    const e = expectThrows(() => importTflite(b), ModelFormatError);
    const buffers = view(b).getUint32(vectorAt(b, rootTable(b), 4), true);
    expect(e.where).toBe(`tensor ${constantTensor.id} '${constantTensor.name}'`);
    expect(e.message).toBe(`${e.where}: buffer index 900 out of range (model has ${buffers} buffers)`);
  });

  test('constant data whose length disagrees with the shape', () => {
    const b = helloInt8.slice();
    const shape = vectorAt(b, tensorTable(b, constantTensor.id), 0);
    view(b).setInt32(shape + 4, constantTensor.shape[0] + 1, true);
    const e = expectThrows(() => importTflite(b), ModelFormatError);
    expect(e.where).toBe(`tensor ${constantTensor.id} '${constantTensor.name}'`);
    expect(e.message).toMatch(/constant data is \d+ bytes but shape \[.*\] of \w+ needs \d+/);
  });

  test('negative dimension', () => {
    const b = helloInt8.slice();
    view(b).setInt32(vectorAt(b, tensorTable(b, 0), 0) + 4, -1, true);
    expect(() => importTflite(b)).toThrow(/negative dimension/);
  });

  test('unsupported op is named, with its version and position', () => {
    const b = helloInt8.slice();
    const code0 = tableInVector(b, vectorAt(b, rootTable(b), 1), 0);
    const deprecated = fieldAt(b, code0, 0);
    const extended = fieldAt(b, code0, 3);
    expect(deprecated && extended).toBeTruthy();
    b[deprecated] = 16; // LSTM
    view(b).setInt32(extended, 16, true);
    const e = expectThrows(() => importTflite(b), UnsupportedOpError);
    const version = helloGraph.ops[0].version;
    expect(e.opName).toBe('LSTM');
    expect(e.version).toBe(version);
    expect(e.opIndex).toBe(0);
    // All three FULLY_CONNECTED operators of hello_world share opcode 0: every one is named.
    expect(e.ops.map((op) => op.opIndex)).toEqual(helloGraph.ops.map((op) => op.index));
    expect(e.opNames).toEqual(['LSTM']);
    expect(e.message).toBe(`unsupported op LSTM (version ${version}) at operators ${helloGraph.ops.map((op) => op.index).join(', ')}`);
  });

  test('extended builtin codes (≥ 127) are read from the int32 field', () => {
    const b = helloInt8.slice();
    const code0 = tableInVector(b, vectorAt(b, rootTable(b), 1), 0);
    b[fieldAt(b, code0, 0)] = 127; // PLACEHOLDER_FOR_GREATER_OP_CODES
    view(b).setInt32(fieldAt(b, code0, 3), 151, true); // DYNAMIC_UPDATE_SLICE
    expect(expectThrows(() => importTflite(b), UnsupportedOpError).opName).toBe('DYNAMIC_UPDATE_SLICE');
  });

  test('unsupported tensor type', () => {
    const b = helloInt8.slice();
    const typeField = fieldAt(b, tensorTable(b, int8Tensor.id), 1);
    b[typeField] = 1; // FLOAT16
    const e = expectThrows(() => importTflite(b), UnsupportedTensorTypeError);
    expect(e.typeName).toBe('FLOAT16');
    expect(e.message).toContain(`tensor ${int8Tensor.id} '${int8Tensor.name}'`);
  });

  test('missing main subgraph', () => {
    const b = helloInt8.slice();
    view(b).setUint32(vectorAt(b, rootTable(b), 2), 0, true);
    expect(() => importTflite(b)).toThrow(/main subgraph \(subgraph 0\) is missing/);
  });

  test('opcode_index out of range', () => {
    // RELU then RELU6: the second operator stores opcode_index 1 (index 0 is a default, omitted).
    const g = reluChain();
    g.ops[1] = { index: 1, type: 'RELU6', version: 1, inputs: [1], outputs: [2], options: {} };
    const b = exportTflite(g);
    const op1 = tableInVector(b, vectorAt(b, subgraph0(b), 3), 1);
    view(b).setUint32(fieldAt(b, op1, 0), 77, true);
    expect(() => importTflite(b)).toThrow('operator 1: opcode_index 77 out of range (model has 2 operator codes)');
  });

  test('vtable offset pointing outside the file', () => {
    const b = helloInt8.slice();
    view(b).setInt32(rootTable(b), -0x100000, true);
    expect(() => importTflite(b)).toThrow(ModelFormatError);
  });
});

/** A two-op int8 graph: RELU(x) → t1, RELU(t1) → t2. */
function reluChain(): Graph {
  const q = () => ({ scale: new Float64Array([0.5]), zeroPoint: new Int32Array([0]), axis: 0 });
  return {
    name: 'chain',
    description: '',
    tensors: [0, 1, 2].map((id) => ({ id, name: `t${id}`, shape: [1, 4], dtype: 'int8' as const, quant: q() })),
    ops: [
      { index: 0, type: 'RELU', version: 1, inputs: [0], outputs: [1], options: {} },
      { index: 1, type: 'RELU', version: 1, inputs: [1], outputs: [2], options: {} },
    ],
    inputs: [0],
    outputs: [2],
  };
}

describe('graph validation', () => {
  test('the hand-built chain itself is valid', () => {
    expect(importTflite(exportTflite(reluChain())).ops).toHaveLength(2);
  });

  test('an op that reads a tensor before it is written', () => {
    const g = reluChain();
    g.ops = [{ ...g.ops[1], index: 0 }, { ...g.ops[0], index: 1 }];
    const e = expectThrows(() => importTflite(exportTflite(g)), ModelFormatError);
    expect(e.message).toBe('operator 0: reads tensor 1 before any operator writes it (cycle or bad order)');
  });

  test('a tensor written twice', () => {
    const g = reluChain();
    g.ops[1].outputs = [1];
    g.outputs = [1];
    expect(() => importTflite(exportTflite(g))).toThrow(/operator 1: writes tensor 1 't1', which is already the output of operator 0/);
  });

  test('a graph output no operator writes', () => {
    const g = reluChain();
    g.ops.pop();
    expect(() => importTflite(exportTflite(g))).toThrow(/graph output tensor 2 't2' is never written/);
  });

  test('tensor indices out of range', () => {
    const g = reluChain();
    g.ops[1].inputs = [9];
    expect(() => importTflite(exportTflite(g))).toThrow(/operator 1: input tensor index 9 out of range \(subgraph has 3 tensors\)/);
    const h = reluChain();
    h.inputs = [-3];
    expect(() => importTflite(exportTflite(h))).toThrow(/input tensor index -3 out of range/);
  });

  test('invalid options: zero stride', () => {
    const g = reluChain();
    g.ops[0] = {
      index: 0, type: 'MAX_POOL_2D', version: 1, inputs: [0], outputs: [1],
      options: { padding: 'VALID', strideH: 0, strideW: 1, filterH: 1, filterW: 1, activation: 'NONE' },
    };
    g.tensors.forEach((t) => (t.shape = [1, 1, 1, 4]));
    expect(() => importTflite(exportTflite(g))).toThrow(/operator 0 \(MAX_POOL_2D\): stride_h 0 must be at least 1/);
  });
});

// ---- Properties -------------------------------------------------------------------------------

const RUNS = 300;
/** Generous: a single import of these files takes well under a millisecond; this catches hangs. */
const MAX_MS_PER_IMPORT = 1000;

/** Imports `bytes`; on success the graph must survive a writer round trip; on failure only typed errors. */
function importMustBeClean(bytes: Uint8Array): void {
  const start = performance.now();
  let graph: Graph | undefined;
  try {
    graph = importTflite(bytes);
  } catch (e) {
    if (!isModelError(e)) throw new Error(`untyped error escaped the importer: ${String(e)}`, { cause: e });
  }
  expect(performance.now() - start).toBeLessThan(MAX_MS_PER_IMPORT);
  if (graph) expect(importTflite(exportTflite(graph))).toEqual(graph);
}

describe('fast-check: damaged files import or throw typed errors', () => {
  test('truncation at any length', () => {
    for (const base of [helloInt8, microSpeech]) {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: base.length - 1 }), (n) => importMustBeClean(base.slice(0, n))),
        { numRuns: RUNS },
      );
    }
  });

  test('random byte flips', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ pos: fc.nat({ max: helloInt8.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        (flips) => {
          const b = helloInt8.slice();
          for (const { pos, value } of flips) b[pos] = value;
          importMustBeClean(b);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('aligned 32-bit words overwritten with hostile values (offsets, lengths, indices)', () => {
    const hostile = fc.constantFrom(0, 1, 4, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffc, 0x10000, 900, -8 >>> 0);
    fc.assert(
      fc.property(
        fc.array(fc.record({ word: fc.nat({ max: helloInt8.length / 4 - 1 }), value: fc.oneof(hostile, fc.nat()) }), {
          minLength: 1,
          maxLength: 3,
        }),
        (writes) => {
          const b = helloInt8.slice();
          for (const { word, value } of writes) view(b).setUint32(word * 4, value >>> 0, true);
          importMustBeClean(b);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('non-Uint8Array input is a typed error', () => {
    expect(() => importTflite([1, 2, 3] as unknown as Uint8Array)).toThrow(ModelFormatError);
  });
});
