// The CLI's own helpers: raw tensor bytes, ranking with ties, progress output on a pipe.
import { describe, expect, it } from 'vitest';
import type { TensorIR } from '../../src/model/graph.ts';
import { bytesToTensor, tensorToBytes } from '../../src/cli/tensor-bytes.ts';
import { rankIndices, softmax } from '../../src/cli/scores.ts';
import { createProgress } from '../../src/cli/progress.ts';
import { errorLine, exitCodeFor } from '../../src/cli/errors.ts';
import { NoWebGPUError } from '../../src/gpu/errors.ts';

const tensor = (dtype: TensorIR['dtype'], shape: number[]): TensorIR => ({ id: 0, name: 'x', shape, dtype });

describe('raw tensor bytes', () => {
  it('reads and writes float32 little-endian', () => {
    const bytes = Uint8Array.from([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]); // 1.0, -2.0
    const t = bytesToTensor(bytes, tensor('float32', [1, 2]), 'in.bin');
    expect(Array.from(t)).toEqual([1, -2]);
    expect(tensorToBytes(t)).toEqual(bytes);
  });

  it('keeps int8 values signed', () => {
    expect(Array.from(bytesToTensor(Uint8Array.from([0xff, 0x80]), tensor('int8', [2]), 'in.bin'))).toEqual([-1, -128]);
  });

  it('names shape, dtype and byte count on a size mismatch', () => {
    expect(() => bytesToTensor(new Uint8Array(7), tensor('float32', [1, 2]), 'in.bin')).toThrow(
      "in.bin: 7 bytes, but input 'x' float32 [1,2] needs 2 × 4 = 8 bytes",
    );
  });
});

describe('ranking', () => {
  it('breaks ties by the lower index, like a stable argsort', () => {
    expect(rankIndices([3, 7, 7, 1, 7], 4)).toEqual([1, 2, 4, 0]);
  });

  it('softmax sums to one and keeps the order', () => {
    const p = softmax([1, 3, 2]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(rankIndices(p)).toEqual([1, 2, 0]);
  });
});

describe('progress on a pipe', () => {
  it('prints a plain line about every tenth of the way and at the end', () => {
    const lines: string[] = [];
    const progress = createProgress('eval m', 25, { isTTY: false, write: (s) => lines.push(s) }, () => 0);
    for (let i = 1; i <= 25; i++) progress.update(i);
    progress.finish();
    expect(lines).toEqual(['eval m: 3/25 (0.0s)\n', ...[6, 9, 12, 15, 18, 21, 24, 25].map((n) => `eval m: ${n}/25 (0.0s)\n`)]);
  });
});

describe('errors', () => {
  it('one line per error, exit 2 only for a missing GPU', () => {
    expect(errorLine(new Error('first\n  second'))).toBe('octet: first second');
    expect(exitCodeFor(new NoWebGPUError('none'))).toBe(2);
    expect(exitCodeFor(new Error('x'))).toBe(1);
  });
});
