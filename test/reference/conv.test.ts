// CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED against an independent model: dequantize
// everything to real numbers, compute the op naively in double, quantize the result. TFLite's
// integer pipeline rounds twice (multiplier and shift), so it may land one LSB away, never more.
import { describe, expect, it } from 'vitest';
import type { Activation, Graph, TensorIR } from '../../src/model/graph.ts';
import { constantData } from '../../src/quant/tensor.ts';
import { runReference, runReferenceAll, ReferenceRunError, type RequantizationMode, type TensorData } from '../../src/reference/run.ts';
import { convGraph, fullyConnectedGraph, GraphBuilder, quant, randomInput, type ConvCase } from '../helpers/graphs.ts';
import { mulberry32, pick, randInt } from '../helpers/rng.ts';

const real = (t: TensorIR, q: number, channel = 0): number => {
  const s = t.quant!.scale.length === 1 ? t.quant!.scale[0] : t.quant!.scale[channel];
  const zp = t.quant!.zeroPoint.length === 1 ? t.quant!.zeroPoint[0] : t.quant!.zeroPoint[channel];
  return s * (q - zp);
};

function quantizeReal(v: number, t: TensorIR, act: Activation): number {
  if (act === 'RELU' || act === 'RELU6') v = Math.max(0, v);
  if (act === 'RELU6') v = Math.min(6, v);
  const [lo, hi] = t.dtype === 'int8' ? [-128, 127] : [0, 255];
  const q = Math.round(v / t.quant!.scale[0]) + t.quant!.zeroPoint[0];
  return Math.min(hi, Math.max(lo, q));
}

/** Naive real-valued NHWC conv / depthwise conv of the graph's single op. */
function naiveConv(graph: Graph, x: TensorData): number[] {
  const op = graph.ops[0];
  if (op.type !== 'CONV_2D' && op.type !== 'DEPTHWISE_CONV_2D') throw new Error('not a conv');
  const [input, filter, biasT] = op.inputs.map((i) => (i >= 0 ? graph.tensors[i] : undefined));
  const output = graph.tensors[op.outputs[0]];
  const w = constantData(filter!);
  const b = biasT ? constantData(biasT) : undefined;
  const [N, H, W, C] = input!.shape;
  const [, OH, OW, OC] = output.shape;
  const depthwise = op.type === 'DEPTHWISE_CONV_2D';
  const [KH, KW] = [filter!.shape[1], filter!.shape[2]];
  const o = op.options;
  // TFLite's SAME padding: total = max(0, (out−1)·stride + effective − in), half before.
  const padOf = (inSize: number, outSize: number, k: number, s: number, d: number) =>
    o.padding === 'VALID' ? 0 : Math.floor(Math.max(0, (outSize - 1) * s + (k - 1) * d + 1 - inSize) / 2);
  const padT = padOf(H, OH, KH, o.strideH, o.dilationH);
  const padL = padOf(W, OW, KW, o.strideW, o.dilationW);
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let oc = 0; oc < OC; oc++) {
          let acc = b ? Number(b[oc]) * input!.quant!.scale[0] * filter!.quant!.scale[filter!.quant!.scale.length === 1 ? 0 : oc] : 0;
          for (let ky = 0; ky < KH; ky++)
            for (let kx = 0; kx < KW; kx++) {
              const iy = oy * o.strideH - padT + ky * o.dilationH;
              const ix = ox * o.strideW - padL + kx * o.dilationW;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              if (depthwise) {
                const ic = Math.floor(oc / (OC / C));
                acc += real(input!, x[((n * H + iy) * W + ix) * C + ic]) * real(filter!, Number(w[(ky * KW + kx) * OC + oc]), oc);
              } else {
                for (let ic = 0; ic < C; ic++) {
                  acc += real(input!, x[((n * H + iy) * W + ix) * C + ic]) * real(filter!, Number(w[((oc * KH + ky) * KW + kx) * C + ic]), oc);
                }
              }
            }
          out.push(quantizeReal(acc, output, o.activation));
        }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function randomCase(rng: () => number, kind: 'conv' | 'depthwise', dtype: 'int8' | 'uint8'): ConvCase {
  const k = pick(rng, [1, 2, 3, 5]);
  return {
    kind,
    dtype,
    batch: randInt(rng, 1, 2),
    inH: randInt(rng, 3, 9),
    inW: randInt(rng, 3, 9),
    inC: randInt(rng, 1, 7),
    outC: randInt(rng, 1, 9),
    k,
    stride: randInt(rng, 1, 2),
    dilation: k > 1 ? randInt(rng, 1, 2) : 1,
    padding: pick(rng, ['SAME', 'VALID'] as const),
    activation: pick(rng, ['NONE', 'RELU', 'RELU6'] as const),
    depthMultiplier: randInt(rng, 1, 3),
    bias: rng() < 0.8,
  };
}

describe('quantized convolutions agree with a real-valued model within 1 LSB', () => {
  for (const kind of ['conv', 'depthwise'] as const) {
    for (const dtype of ['int8', 'uint8'] as const) {
      for (const mode of ['tflite', 'xnnpack'] as RequantizationMode[]) {
        it(`${kind} ${dtype} (${mode})`, () => {
          const rng = mulberry32(kind.length * 100 + dtype.length * 10 + mode.length);
          let exactCount = 0;
          let total = 0;
          for (let trial = 0; trial < 25; trial++) {
            const c = randomCase(rng, kind, dtype);
            if (c.padding === 'VALID' && (c.k - 1) * c.dilation + 1 > Math.min(c.inH, c.inW)) c.padding = 'SAME';
            const graph = convGraph(rng, c);
            const x = randomInput(rng, graph.tensors[graph.inputs[0]]);
            const [actual] = runReference(graph, [x], { requantization: mode });
            const expected = naiveConv(graph, x);
            expect(maxDiff(actual, expected), graph.name).toBeLessThanOrEqual(1);
            for (let i = 0; i < expected.length; i++) if (actual[i] === expected[i]) exactCount++;
            total += expected.length;
          }
          // Most elements are not near a rounding tie: a systematic offset would show here.
          expect(exactCount / total).toBeGreaterThan(0.95);
        });
      }
    }
  }

  it('fully connected, int8 per-tensor and per-channel and uint8, against a real-valued model', () => {
    const rng = mulberry32(7);
    for (let trial = 0; trial < 30; trial++) {
      const dtype = pick(rng, ['int8', 'uint8'] as const);
      const f = {
        dtype,
        batch: randInt(rng, 1, 3),
        depth: randInt(rng, 1, 40),
        units: randInt(rng, 1, 12),
        perChannel: dtype === 'int8' && rng() < 0.5,
        activation: pick(rng, ['NONE', 'RELU', 'RELU6'] as const),
      };
      const graph = fullyConnectedGraph(rng, f);
      const x = randomInput(rng, graph.tensors[graph.inputs[0]]);
      const [actual] = runReference(graph, [x]);
      const [input, filter, bias] = graph.ops[0].inputs.map((i) => graph.tensors[i]);
      const output = graph.tensors[graph.outputs[0]];
      const w = constantData(filter);
      const b = constantData(bias);
      const expected: number[] = [];
      for (let n = 0; n < f.batch; n++)
        for (let u = 0; u < f.units; u++) {
          const ws = filter.quant!.scale[f.perChannel ? u : 0];
          let acc = Number(b[u]) * input.quant!.scale[0] * ws;
          for (let d = 0; d < f.depth; d++) acc += real(input, x[n * f.depth + d]) * real(filter, Number(w[u * f.depth + d]), u);
          expected.push(quantizeReal(acc, output, f.activation));
        }
      expect(maxDiff(actual, expected), graph.name).toBeLessThanOrEqual(1);
    }
  });
});

describe('hand-computed cases', () => {
  it('int8 1×1 conv: acc = 2·(3−1) + 4·(−2−1) + bias 5 = −3, multiplier 1.0, + zp 10 = 7', () => {
    const b = new GraphBuilder();
    const input = b.tensor('x', [1, 1, 1, 2], 'int8', quant(0.5, 1));
    const filter = b.tensor('w', [1, 1, 1, 2], 'int8', quant([0.25], [0]), Int8Array.from([2, 4]));
    const bias = b.tensor('b', [1], 'int32', quant(0.125, 0), Int32Array.from([5]));
    const output = b.tensor('y', [1, 1, 1, 1], 'int8', quant(0.125, 10));
    const options = { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' } as const;
    b.op({ type: 'CONV_2D', inputs: [input, filter, bias], outputs: [output], options });
    const [y] = runReference(b.build([input], [output]), [Int8Array.from([3, -2])]);
    expect(Array.from(y)).toEqual([7]);
  });

  it('uint8 FC uses the weight zero point: Σ (w − 100)(x − 128) + bias', () => {
    // x = [130, 125], w = [102, 97] (zp 100) → (2)(2) + (−3)(−3) = 13, bias −1 → 12.
    // multiplier 0.5·0.5/0.25 = 1.0 → 12 + output zp 50 = 62.
    const b = new GraphBuilder();
    const input = b.tensor('x', [1, 2], 'uint8', quant(0.5, 128));
    const filter = b.tensor('w', [1, 2], 'uint8', quant(0.5, 100), Uint8Array.from([102, 97]));
    const bias = b.tensor('b', [1], 'int32', quant(0.25, 0), Int32Array.from([-1]));
    const output = b.tensor('y', [1, 1], 'uint8', quant(0.25, 50));
    b.op({ type: 'FULLY_CONNECTED', inputs: [input, filter, bias], outputs: [output], options: { activation: 'NONE', keepNumDims: false } });
    const [y] = runReference(b.build([input], [output]), [Uint8Array.from([130, 125])]);
    expect(Array.from(y)).toEqual([62]);
  });

  it('SAME padding skips outside taps: a 3×3 box filter of ones on a 2×2 image sums all four pixels', () => {
    const b = new GraphBuilder();
    const input = b.tensor('x', [1, 2, 2, 1], 'float32');
    const filter = b.tensor('w', [1, 3, 3, 1], 'float32', undefined, new Float32Array(9).fill(1));
    const output = b.tensor('y', [1, 2, 2, 1], 'float32');
    const options = { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' } as const;
    b.op({ type: 'CONV_2D', inputs: [input, filter, -1], outputs: [output], options });
    const [y] = runReference(b.build([input], [output]), [Float32Array.from([1, 2, 3, 4])]);
    expect(Array.from(y)).toEqual([10, 10, 10, 10]);
  });

  it('runReferenceAll exposes constants and activations by tensor id', () => {
    const rng = mulberry32(3);
    const graph = convGraph(rng, randomCase(rng, 'conv', 'int8'));
    const x = randomInput(rng, graph.tensors[graph.inputs[0]]);
    const all = runReferenceAll(graph, [x]);
    expect(all.get(graph.inputs[0])).toBe(x);
    expect(Array.from(all.get(graph.ops[0].inputs[1])!)).toEqual(Array.from(constantData(graph.tensors[graph.ops[0].inputs[1]]) as Int8Array));
    expect(all.get(graph.outputs[0])).toEqual(runReference(graph, [x])[0]);
  });

  it('rejects an unsupported dtype with a ReferenceRunError naming the operator', () => {
    const b = new GraphBuilder();
    const input = b.tensor('x', [1, 1, 1, 1], 'int16', quant(1, 0));
    const filter = b.tensor('w', [1, 1, 1, 1], 'int8', quant(1, 0), Int8Array.from([1]));
    const output = b.tensor('y', [1, 1, 1, 1], 'int16', quant(1, 0));
    const options = { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' } as const;
    b.op({ type: 'CONV_2D', inputs: [input, filter, -1], outputs: [output], options });
    const graph = b.build([input], [output]);
    expect(() => runReference(graph, [Int16Array.from([1])])).toThrow(ReferenceRunError);
    expect(() => runReference(graph, [Int16Array.from([1])])).toThrow('reference: CONV_2D with int16 input is not supported (operator 0)');
  });

  it('rejects an input of the wrong dtype', () => {
    const rng = mulberry32(4);
    const graph = convGraph(rng, randomCase(rng, 'conv', 'int8'));
    const n = graph.tensors[graph.inputs[0]].shape.reduce((a, b) => a * b, 1);
    expect(() => runReference(graph, [new Uint8Array(n)])).toThrow(/input 0 .* must be/);
  });
});
