// The int8 arithmetic each adapter gets (preferredInt8Arithmetic), one case per predicate, and the
// bound that makes f32 accumulation exact (f32ProductsExact) at and past 2^24.
import { describe, expect, it } from 'vitest';
import type { CapabilityReport } from '../../src/gpu/capabilities.ts';
import { f32ProductsExact, preferredInt8Arithmetic, productBounds } from '../../src/kernels/lowering.ts';

function caps(adapter: Partial<CapabilityReport['adapter']>, softwareAdapter: boolean): Pick<CapabilityReport, 'adapter' | 'paths'> {
  return {
    adapter: { vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false, backend: 'browser', ...adapter },
    paths: { dot4I8Packed: true, timestampQuery: false, subgroups: false, shaderF16: false, softwareAdapter },
  };
}

describe('preferredInt8Arithmetic', () => {
  it('SwiftShader, by Dawn route or by the name a browser reports: f32', () => {
    expect(preferredInt8Arithmetic(caps({ backend: 'dawn-swiftshader' }, true), true)).toBe('f32');
    expect(preferredInt8Arithmetic(caps({ vendor: 'google', architecture: 'swiftshader' }, true), true)).toBe('f32');
  });
  it('another software adapter (llvmpipe): i32, with or without dot4', () => {
    expect(preferredInt8Arithmetic(caps({ backend: 'dawn-llvmpipe-gles', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }, true), true)).toBe('i32');
    expect(preferredInt8Arithmetic(caps({ backend: 'dawn-llvmpipe-gles' }, true), false)).toBe('i32');
  });
  it('a GPU: dot4 where dot4I8Packed is used, i32 without it', () => {
    const gpu = caps({ vendor: 'nvidia', architecture: 'hopper', backend: 'dawn-default' }, false);
    expect(preferredInt8Arithmetic(gpu, true)).toBe('dot4');
    expect(preferredInt8Arithmetic(gpu, false)).toBe('i32');
  });
});

describe('f32ProductsExact(productBounds): 128 · Σ|w − zw| below 2^24 for every output channel', () => {
  it('at the bound and one step past it', () => {
    // 131072 · 128 = 2^24: a channel summing to 131071 is exact, 131072 is not.
    const exactAt = (sum: number) => {
      const w = new Int8Array(Math.ceil(sum / 127));
      let left = sum;
      for (let i = 0; i < w.length; i++) {
        w[i] = Math.min(127, left);
        left -= w[i]!;
      }
      return f32ProductsExact(productBounds(w, 0, 1, w.length));
    };
    expect(exactAt(131071)).toBe(true);
    expect(exactAt(131072)).toBe(false);
  });
  it('takes the weight zero point into account, and every channel must pass', () => {
    // |w − zw| with zw = −100: 27 → 127 per weight; 1033 weights of 27 pass only without the zero point.
    const w = new Int8Array(1033).fill(27);
    expect(f32ProductsExact(productBounds(w, 0, 1, 1033))).toBe(true);
    expect(f32ProductsExact(productBounds(w, -100, 1, 1033))).toBe(false);
    const twoChannels = new Int8Array(2 * 1033).fill(1);
    twoChannels.fill(127, 1033);
    expect(f32ProductsExact(productBounds(twoChannels, 0, 1, 1033))).toBe(true);
    expect(f32ProductsExact(productBounds(twoChannels, 0, 2, 1033))).toBe(false);
  });
});
