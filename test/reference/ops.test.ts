// The non-convolution ops: hand-computed exact cases where TFLite's rounding rule is the point,
// and comparisons with a real-valued model (within 1 LSB) where it is not.
import { describe, expect, it } from 'vitest';
import type { Activation, DType, Graph, OpIR, QuantParams } from '../../src/model/graph.ts';
import { runReference, type TensorData } from '../../src/reference/run.ts';
import { GraphBuilder, quant } from '../helpers/graphs.ts';
import { mulberry32, randInt } from '../helpers/rng.ts';

type Spec = { shape: number[]; dtype: DType; q?: QuantParams; data?: ArrayBufferView };

/** One op with runtime inputs `ins`, constant inputs `consts` (appended after), one output. */
function single(
  type: OpIR['type'],
  ins: Spec[],
  out: Spec,
  options: object = {},
  consts: Spec[] = [],
): Graph {
  const b = new GraphBuilder();
  const inputs = ins.map((s, i) => b.tensor(`in${i}`, s.shape, s.dtype, s.q));
  const constants = consts.map((s, i) => b.tensor(`c${i}`, s.shape, s.dtype, s.q, s.data));
  const output = b.tensor('out', out.shape, out.dtype, out.q);
  b.op({ type, inputs: [...inputs, ...constants], outputs: [output], options } as Omit<OpIR, 'index' | 'version'>);
  return b.build(inputs, [output]);
}

const run1 = (g: Graph, ...xs: TensorData[]): number[] => Array.from(runReference(g, xs)[0]);

function randomInt8(rng: () => number, n: number): Int8Array {
  return Int8Array.from({ length: n }, () => randInt(rng, -128, 127));
}

const pool = (filter: number, stride: number, padding: 'SAME' | 'VALID', activation: Activation = 'NONE') => ({
  padding,
  strideH: stride,
  strideW: stride,
  filterH: filter,
  filterW: filter,
  activation,
});

describe('AVERAGE_POOL_2D', () => {
  it('int8 rounds half away from zero: (−2 + −3)/2 → −3, (2 + 3)/2 → 3', () => {
    const q = quant(0.1, 0);
    // A 1×2 image with two channels, one 1×2 window.
    const g = single(
      'AVERAGE_POOL_2D',
      [{ shape: [1, 1, 2, 2], dtype: 'int8', q }],
      { shape: [1, 1, 1, 2], dtype: 'int8', q },
      { ...pool(1, 1, 'VALID'), filterW: 2, strideW: 2 },
    );
    expect(run1(g, Int8Array.from([-2, 2, -3, 3]))).toEqual([-3, 3]);
  });

  it('uint8 rounds half up: (2 + 3)/2 → 3, (4 + 5)/2 → 5', () => {
    const q = quant(0.1, 0);
    const g = single(
      'AVERAGE_POOL_2D',
      [{ shape: [1, 1, 2, 2], dtype: 'uint8', q }],
      { shape: [1, 1, 1, 2], dtype: 'uint8', q },
      { ...pool(1, 1, 'VALID'), filterW: 2, strideW: 2 },
    );
    expect(run1(g, Uint8Array.from([2, 4, 3, 5]))).toEqual([3, 5]);
  });

  it('SAME padding divides by the taps inside the image (filter_count), not the window size', () => {
    // 3×3 image 1..9, 3×3 window, stride 1. Corner (0,0) sees 1,2,4,5: 12/4 = 3.
    // Centre sees all nine: 45/9 = 5. Edge (0,1) sees 1..6: 21/6 = 3.5 → 4 (half away from zero).
    const q = quant(0.1, 0);
    const g = single('AVERAGE_POOL_2D', [{ shape: [1, 3, 3, 1], dtype: 'int8', q }], { shape: [1, 3, 3, 1], dtype: 'int8', q }, pool(3, 1, 'SAME'));
    const y = run1(g, Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(y[0]).toBe(3);
    expect(y[4]).toBe(5);
    expect(y[1]).toBe(4);
  });

  it('float averages and applies the fused activation', () => {
    const g = single('AVERAGE_POOL_2D', [{ shape: [1, 2, 2, 1], dtype: 'float32' }], { shape: [1, 1, 1, 1], dtype: 'float32' }, pool(2, 2, 'VALID', 'RELU6'));
    expect(run1(g, Float32Array.from([10, 8, 6, 4]))).toEqual([6]);
    expect(run1(g, Float32Array.from([1, 2, 3, 4]))).toEqual([2.5]);
  });
});

describe('MAX_POOL_2D', () => {
  it('takes the maximum over the valid taps and clamps to the activation range', () => {
    const q = quant(0.05, -10); // RELU → q ≥ −10
    const g = single('MAX_POOL_2D', [{ shape: [1, 2, 2, 2], dtype: 'int8', q }], { shape: [1, 1, 1, 2], dtype: 'int8', q }, pool(2, 2, 'VALID', 'RELU'));
    expect(run1(g, Int8Array.from([-50, 7, -20, 3, -30, 9, -40, -1]))).toEqual([-10, 9]);
  });
});

describe('ADD and MUL', () => {
  it('quantized ADD with different scales and broadcasting agrees with real arithmetic within 1 LSB', () => {
    const rng = mulberry32(11);
    for (const dtype of ['int8', 'uint8'] as const) {
      const q1 = quant(0.05, dtype === 'int8' ? 3 : 130);
      const q2 = quant(0.02, dtype === 'int8' ? -7 : 120);
      const qo = quant(0.08, dtype === 'int8' ? 1 : 128);
      const g = single('ADD', [{ shape: [2, 3, 4], dtype, q: q1 }, { shape: [1, 4], dtype, q: q2 }], { shape: [2, 3, 4], dtype, q: qo }, { activation: 'NONE' });
      const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
      const make = (n: number) => (dtype === 'int8' ? randomInt8(rng, n) : Uint8Array.from({ length: n }, () => randInt(rng, 0, 255)));
      const a = make(24);
      const b = make(4);
      const y = run1(g, a, b);
      for (let i = 0; i < 24; i++) {
        const r = 0.05 * (a[i] - q1.zeroPoint[0]) + 0.02 * (b[i % 4] - q2.zeroPoint[0]);
        const expected = Math.min(hi, Math.max(lo, Math.round(r / 0.08) + qo.zeroPoint[0]));
        expect(Math.abs(y[i] - expected)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('quantized MUL agrees with real arithmetic within 1 LSB', () => {
    const rng = mulberry32(12);
    const q1 = quant(0.05, 3);
    const q2 = quant(0.04, -2);
    const qo = quant(0.1, 0);
    const g = single('MUL', [{ shape: [16], dtype: 'int8', q: q1 }, { shape: [16], dtype: 'int8', q: q2 }], { shape: [16], dtype: 'int8', q: qo }, { activation: 'NONE' });
    const a = randomInt8(rng, 16);
    const b = randomInt8(rng, 16);
    const y = run1(g, a, b);
    for (let i = 0; i < 16; i++) {
      const r = 0.05 * (a[i] - 3) * 0.04 * (b[i] + 2);
      expect(Math.abs(y[i] - Math.min(127, Math.max(-128, Math.round(r / 0.1))))).toBeLessThanOrEqual(1);
    }
  });

  it('float ADD with RELU', () => {
    const g = single('ADD', [{ shape: [3], dtype: 'float32' }, { shape: [3], dtype: 'float32' }], { shape: [3], dtype: 'float32' }, { activation: 'RELU' });
    expect(run1(g, Float32Array.from([1, -5, 2]), Float32Array.from([0.5, 1, -2]))).toEqual([1.5, 0, 0]);
  });
});

describe('SOFTMAX', () => {
  for (const dtype of ['int8', 'uint8'] as const) {
    it(`${dtype}: sums to ≈256/256, is monotonic, and follows the real softmax within 2 LSB`, () => {
      const rng = mulberry32(dtype.length);
      const inScale = 0.1;
      const inZp = dtype === 'int8' ? 5 : 130;
      const outQ = quant(1 / 256, dtype === 'int8' ? -128 : 0);
      for (const beta of [1, 0.5]) {
        const g = single('SOFTMAX', [{ shape: [3, 10], dtype, q: quant(inScale, inZp) }], { shape: [3, 10], dtype, q: outQ }, { beta });
        const x = dtype === 'int8' ? randomInt8(rng, 30) : Uint8Array.from({ length: 30 }, () => randInt(rng, 0, 255));
        const y = run1(g, x);
        for (let r = 0; r < 3; r++) {
          const row = Array.from(x.subarray(r * 10, r * 10 + 10));
          const probs = row.map((v) => Math.exp(beta * inScale * (v - Math.max(...row))));
          const sum = probs.reduce((a, b) => a + b, 0);
          let total = 0;
          for (let c = 0; c < 10; c++) {
            const q = y[r * 10 + c] - outQ.zeroPoint[0];
            total += q;
            expect(Math.abs(q - Math.min(255, Math.round((probs[c] / sum) * 256)))).toBeLessThanOrEqual(2);
            for (let d = 0; d < 10; d++) if (row[d] > row[c]) expect(y[r * 10 + d]).toBeGreaterThanOrEqual(y[r * 10 + c]);
          }
          expect(Math.abs(total - 256)).toBeLessThanOrEqual(6);
        }
      }
    });
  }

  it('int8 equal inputs split evenly: four equal logits → 64 each (−64 with zero point −128)', () => {
    const g = single('SOFTMAX', [{ shape: [1, 4], dtype: 'int8', q: quant(0.1, 0) }], { shape: [1, 4], dtype: 'int8', q: quant(1 / 256, -128) }, { beta: 1 });
    expect(run1(g, Int8Array.from([7, 7, 7, 7]))).toEqual([-64, -64, -64, -64]);
  });

  it('rejects an output that is not scale 1/256', () => {
    const g = single('SOFTMAX', [{ shape: [1, 4], dtype: 'int8', q: quant(0.1, 0) }], { shape: [1, 4], dtype: 'int8', q: quant(0.1, 0) }, { beta: 1 });
    expect(() => runReference(g, [new Int8Array(4)])).toThrow(/SOFTMAX .*operator 0/);
  });
});

describe('LOGISTIC', () => {
  it('int8 and uint8 follow the real sigmoid within 1 LSB, over every input value', () => {
    for (const dtype of ['int8', 'uint8'] as const) {
      const inQ = quant(0.06, dtype === 'int8' ? -3 : 125);
      const outQ = quant(1 / 256, dtype === 'int8' ? -128 : 0);
      const g = single('LOGISTIC', [{ shape: [256], dtype, q: inQ }], { shape: [256], dtype, q: outQ });
      const x = dtype === 'int8' ? Int8Array.from({ length: 256 }, (_, i) => i - 128) : Uint8Array.from({ length: 256 }, (_, i) => i);
      const y = run1(g, x);
      for (let i = 0; i < 256; i++) {
        const r = 1 / (1 + Math.exp(-0.06 * (x[i] - inQ.zeroPoint[0])));
        const expected = Math.min(255, Math.round(r * 256)) + outQ.zeroPoint[0];
        expect(Math.abs(y[i] - expected), `${dtype} x=${x[i]}`).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('MEAN', () => {
  it('int8 and uint8 over H and W with a different output scale, within 1 LSB of the real mean', () => {
    const rng = mulberry32(21);
    for (const dtype of ['int8', 'uint8'] as const) {
      const inQ = quant(0.03, dtype === 'int8' ? -128 : 0);
      const outQ = quant(0.02, dtype === 'int8' ? -100 : 20);
      const g = single('MEAN', [{ shape: [1, 5, 7, 3], dtype, q: inQ }], { shape: [1, 1, 1, 3], dtype, q: outQ }, { keepDims: true }, [
        { shape: [2], dtype: 'int32', data: Int32Array.from([1, 2]) },
      ]);
      const x = dtype === 'int8' ? randomInt8(rng, 105) : Uint8Array.from({ length: 105 }, () => randInt(rng, 0, 255));
      const y = run1(g, x);
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = c; i < 105; i += 3) s += 0.03 * (x[i] - inQ.zeroPoint[0]);
        const expected = Math.round(s / 35 / 0.02) + outQ.zeroPoint[0];
        expect(Math.abs(y[c] - expected), dtype).toBeLessThanOrEqual(1);
      }
    }
  });

  it('int8 over the last axis (general path) and float over axis 1', () => {
    const q = quant(0.1, 0);
    const g = single('MEAN', [{ shape: [2, 3], dtype: 'int8', q }], { shape: [2], dtype: 'int8', q }, { keepDims: false }, [
      { shape: [1], dtype: 'int32', data: Int32Array.from([-1]) },
    ]);
    // (1 + 2 + 4)/3 = 2.33 → 2; (−1 − 2 − 4)/3 → −2.
    expect(run1(g, Int8Array.from([1, 2, 4, -1, -2, -4]))).toEqual([2, -2]);
    const gf = single('MEAN', [{ shape: [2, 2], dtype: 'float32' }], { shape: [1, 2], dtype: 'float32' }, { keepDims: true }, [
      { shape: [1], dtype: 'int32', data: Int32Array.from([0]) },
    ]);
    expect(run1(gf, Float32Array.from([1, 2, 3, 6]))).toEqual([2, 4]);
  });
});

describe('shape ops', () => {
  it('PAD fills with the output zero point', () => {
    const q = quant(0.1, -5);
    const g = single('PAD', [{ shape: [1, 2], dtype: 'int8', q }], { shape: [3, 3], dtype: 'int8', q }, {}, [
      { shape: [2, 2], dtype: 'int32', data: Int32Array.from([1, 1, 0, 1]) },
    ]);
    expect(run1(g, Int8Array.from([7, 8]))).toEqual([-5, -5, -5, 7, 8, -5, -5, -5, -5]);
  });

  it('TRANSPOSE NCHW → NHWC', () => {
    const g = single('TRANSPOSE', [{ shape: [1, 2, 2, 3], dtype: 'float32' }], { shape: [1, 2, 3, 2], dtype: 'float32' }, {}, [
      { shape: [4], dtype: 'int32', data: Int32Array.from([0, 1, 3, 2]) },
    ]);
    const x = Float32Array.from({ length: 12 }, (_, i) => i);
    // out[0,h,c,w] = in[0,h,w,c]
    expect(run1(g, x)).toEqual([0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11]);
  });

  it('RESHAPE and SQUEEZE keep the element order', () => {
    const g = single('RESHAPE', [{ shape: [1, 2, 3], dtype: 'int8', q: quant(1, 0) }], { shape: [3, 2], dtype: 'int8', q: quant(1, 0) }, {});
    expect(run1(g, Int8Array.from([1, 2, 3, 4, 5, 6]))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('CONCATENATION copies equal params and rescales the others (float32 math, round half away)', () => {
    const qo = quant(0.5, 10);
    const g = single(
      'CONCATENATION',
      [{ shape: [1, 2], dtype: 'uint8', q: qo }, { shape: [1, 2], dtype: 'uint8', q: quant(0.25, 0) }],
      { shape: [1, 4], dtype: 'uint8', q: qo },
      { axis: 1, activation: 'NONE' },
    );
    // Second input: real = 0.25·q → q_out = round(q/2) + 10: 3 → 1.5 → 2 → 12; 8 → 4 → 14.
    expect(run1(g, Uint8Array.from([1, 2]), Uint8Array.from([3, 8]))).toEqual([1, 2, 12, 14]);
  });
});

describe('QUANTIZE, DEQUANTIZE, RELU', () => {
  it("QUANTIZE float → int8 under 'tflite' rounds half away from zero and clamps; the default ('xnnpack') half to even", () => {
    const g = single('QUANTIZE', [{ shape: [5], dtype: 'float32' }], { shape: [5], dtype: 'int8', q: quant(0.5, 1) });
    const x = Float32Array.from([0.25, -0.25, 1, 100, -100]);
    // 0.25/0.5 = 0.5 → 1 (+1 = 2); −0.25/0.5 = −0.5 → −1 (+1 = 0); 100 → clamp 127.
    expect(Array.from(runReference(g, [x], { requantization: 'tflite' })[0]!)).toEqual([2, 0, 3, 127, -128]);
    // Half to even: 0.5 → 0 (+1 = 1), −0.5 → 0 (+1 = 1).
    expect(run1(g, x)).toEqual([1, 1, 3, 127, -128]);
  });

  it("QUANTIZE float → int8 at exact ties: 'xnnpack' rounds x × float32(1/scale) half to even (TFLite runtime: 80), 'tflite' half away (81)", () => {
    // BlazeFace's input QUANTIZE: scale 1/255 as float32, zero point −128. 0.8176471 is exactly
    // 208.5 steps in float32 (both x × float32(1/scale) and x / scale); so are its neighbours on
    // the 1/255 grid at 205.5 … 211.5.
    const x = Float32Array.from([0.8176471, 0.8058823943138123, 0.8098039627075195, 0.8137255311012268, 0.8215686678886414, 0.8254902362823486, 0.8294118046760559, -0.5]);
    const g = single('QUANTIZE', [{ shape: [x.length], dtype: 'float32' }], { shape: [x.length], dtype: 'int8', q: quant(0.003921568859368563, -128) });
    expect(Array.from(runReference(g, [x], { requantization: 'xnnpack' })[0]!)).toEqual([80, 78, 78, 80, 82, 82, 84, -128]);
    expect(Array.from(runReference(g, [x], { requantization: 'tflite' })[0]!)).toEqual([81, 78, 79, 80, 82, 83, 84, -128]);
    // Negative ties and uint8: −2.5 → −2 (even) under 'xnnpack', −3 under 'tflite'.
    const h = single('QUANTIZE', [{ shape: [4], dtype: 'float32' }], { shape: [4], dtype: 'uint8', q: quant(0.5, 10) });
    const y = Float32Array.from([-1.25, -0.75, 1.25, 200]);
    expect(Array.from(runReference(h, [y], { requantization: 'xnnpack' })[0]!)).toEqual([8, 8, 12, 255]);
    expect(Array.from(runReference(h, [y], { requantization: 'tflite' })[0]!)).toEqual([7, 8, 13, 255]);
  });

  it('QUANTIZE uint8 → int8 with the same scale is x − 128 exactly', () => {
    const g = single('QUANTIZE', [{ shape: [4], dtype: 'uint8', q: quant(0.02, 128) }], { shape: [4], dtype: 'int8', q: quant(0.02, 0) });
    expect(run1(g, Uint8Array.from([0, 127, 128, 255]))).toEqual([-128, -1, 0, 127]);
  });

  it('DEQUANTIZE int8 → float32', () => {
    const g = single('DEQUANTIZE', [{ shape: [2], dtype: 'int8', q: quant(0.5, 2) }], { shape: [2], dtype: 'float32' });
    expect(run1(g, Int8Array.from([4, -2]))).toEqual([1, -2]);
  });

  it('quantized RELU6 requantizes and clamps to [zp, zp + round(6/scale)]', () => {
    const q = quant(0.1, -20);
    const g = single('RELU6', [{ shape: [4], dtype: 'int8', q }], { shape: [4], dtype: 'int8', q });
    expect(run1(g, Int8Array.from([-100, -20, 30, 100]))).toEqual([-20, -20, 30, 40]);
  });
});
