// Single-op graphs written by Octet and run by the TFLite runtime itself (the WASM build inside
// @tensorflow/tfjs-tflite, XNNPACK delegate: the runtime that made the shared reference vectors).
// The CPU reference under 'xnnpack' requantization must give the runtime's bytes exactly, at the
// rounding ties where kernels part ways: QUANTIZE from float32 and between 8-bit types, and MEAN
// over every path the runtime takes (XNNPACK's global average pooling, reduce.cc's integer mean
// and QuantizedMeanOrSum).
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/model/graph.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { meanRule } from '../../src/quant/mean.ts';
import { runReference, type TensorData } from '../../src/reference/run.ts';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { compareTensors } from '../helpers/compare.ts';
import { GraphBuilder, quant } from '../helpers/graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { quantizeGraph, softmaxGraph } from '../helpers/shape-ops-graphs.ts';

async function versusRuntime(graph: Graph, input: TensorData): Promise<{ differing: number; firstDiff?: string }> {
  const peer = await createTflitePeer(exportTflite(graph));
  const [tflite] = peer.run([input]);
  const [ours] = runReference(graph, [input], { requantization: 'xnnpack' });
  const expected = ours instanceof Int8Array ? new Int8Array(tflite!.buffer, tflite!.byteOffset, tflite!.byteLength) : tflite!;
  return compareTensors(ours!, expected as TensorData);
}

describe('QUANTIZE float32 → 8 bits equals the TFLite runtime at exact ties', () => {
  it("BlazeFace's input quantization (scale 1/255, zero point −128): 0.8176471 is 208.5 steps and gives 80", async () => {
    const graph = quantizeGraph('float32', 'int8', [1, 1], undefined, quant(0.003921568859368563, -128));
    const peer = await createTflitePeer(exportTflite(graph));
    expect(Array.from(peer.run([Float32Array.from([0.8176471])])[0] as Int8Array)).toEqual([80]);
    expect(Array.from(runReference(graph, [Float32Array.from([0.8176471])], { requantization: 'xnnpack' })[0]!)).toEqual([80]);
  });

  for (const [dtype, scale, zp] of [['int8', 0.003921568859368563, -128], ['int8', 0.05, 3], ['uint8', 0.0236, 131], ['uint8', 1 / 3, 0]] as const) {
    it(`${dtype} scale ${scale} zero point ${zp}: ties of both signs, random values, beyond the range`, async () => {
      const s = Math.fround(scale);
      const rng = mulberry32(41);
      const values: number[] = [];
      for (let k = -140; k <= 140; k++) values.push(Math.fround((k + 0.5) * s));
      for (let i = 0; i < 500; i++) values.push(Math.fround((rng() - 0.5) * 300 * s));
      values.push(0, -0, 1e30, -1e30, 1e-40);
      const x = Float32Array.from(values);
      const graph = quantizeGraph('float32', dtype, [1, x.length], undefined, quant(scale, zp));
      expect(await versusRuntime(graph, x)).toMatchObject({ differing: 0 });
    });
  }
});

describe('8-bit → 8-bit QUANTIZE equals the TFLite runtime (XNNPACK convert, Requantize where the delegate declines)', () => {
  // Every input value through ratios scale_in / scale_out chosen where XNNPACK's 8-fraction-bit
  // multiplier and Requantize's 31-bit one part: just below and at the delegate's lower bound
  // 2^−8 (Requantize below), a fraction the 8 bits cannot hold (100.499), and SSD MobileNet v3's
  // box and class requantizations; int8 → uint8 and uint8 → int8 always run Requantize.
  const ratios = [0.0039, 2 ** -8, 0.0039063, 0.2831, 1, 3.7, 100.499, 0.01655064895749092 / 0.058521803468465805, 0.029542673379182816 / 0.04008737578988075];
  for (const [from, to] of [['int8', 'int8'], ['uint8', 'uint8'], ['int8', 'uint8'], ['uint8', 'int8']] as const) {
    it(`${from} → ${to}: all 256 inputs, ${ratios.length} ratios × 3 zero-point pairs`, async () => {
      const failures: string[] = [];
      const x = from === 'int8' ? Int8Array.from({ length: 256 }, (_, i) => i - 128) : Uint8Array.from({ length: 256 }, (_, i) => i);
      const inOff = from === 'uint8' ? 128 : 0;
      const outOff = to === 'uint8' ? 128 : 0;
      for (const ratio of ratios) {
        for (const [zi, zo] of [[0, 0], [31, 66], [-128, -7]]) {
          const so = 0.01;
          const graph = quantizeGraph(from, to, [1, 256], quant(ratio * so, zi! + inOff), quant(so, zo! + outOff));
          const cmp = await versusRuntime(graph, x);
          if (cmp.differing > 0) failures.push(`ratio ${ratio} zp ${zi}/${zo}: ${cmp.differing} differ, ${cmp.firstDiff}`);
        }
      }
      expect(failures).toEqual([]);
    }, 60_000);
  }
});

interface MeanCase {
  dtype: 'int8' | 'uint8';
  shape: number[];
  axes: number[];
  keepDims: boolean;
  inScale: number;
  outScale: number;
  inZp: number;
  outZp: number;
}

function meanGraph(c: MeanCase): Graph {
  const b = new GraphBuilder();
  const reduced = new Set(c.axes);
  const outShape = c.keepDims ? c.shape.map((d, i) => (reduced.has(i) ? 1 : d)) : c.shape.filter((_, i) => !reduced.has(i));
  const input = b.tensor('input', c.shape, c.dtype, quant(c.inScale, c.inZp));
  const axis = b.tensor('axis', [c.axes.length], 'int32', undefined, Int32Array.from(c.axes));
  const output = b.tensor('output', outShape, c.dtype, quant(c.outScale, c.outZp));
  b.op({ type: 'MEAN', inputs: [input, axis], outputs: [output], options: { keepDims: c.keepDims } });
  return b.build([input], [output], `MEAN ${c.dtype} [${c.shape}] axes [${c.axes}]${c.keepDims ? ' keepDims' : ''} ${c.inScale}/${c.inZp} → ${c.outScale}/${c.outZp}`);
}

describe('MEAN equals the TFLite runtime on every path it takes', () => {
  const shapes: Array<[number[], number[]]> = [
    [[1, 2, 2, 16], [1, 2]], // the issue's [1,2,2,16] → [1,16]: XNNPACK global average pooling
    [[1, 7, 7, 16], [2, 1]],
    [[1, 4, 2, 16], [2]], // W alone: XNNPACK too
    [[1, 4, 2, 16], [1]], // H alone: reduce.cc
    [[2, 2, 16], [1]], // not 4-D: reduce.cc
    [[1, 2, 2, 4], [1, 2, 3]],
  ];
  // Equal scales give exact .5 means on small windows; equal quantization selects the integer mean.
  const quants: Array<[number, number, number, number]> = [
    [0.05, 0.05, 0, 0],
    [0.05, 0.05, 1, 4],
    [0.1, 0.05, 0, 0],
    [0.05, 0.1, 0, 2],
    [0.0712, 0.0496, -7, 11],
  ];
  for (const dtype of ['int8', 'uint8'] as const) {
    for (const keepDims of [true, false]) {
      it(`${dtype}${keepDims ? ', keepDims' : ''}: ${shapes.length} shapes × ${quants.length} quantizations`, async () => {
        const rng = mulberry32(dtype === 'int8' ? 5 : 6);
        const failures: string[] = [];
        const kernels = new Set<string>();
        for (const [shape, axes] of shapes) {
          for (const [inScale, outScale, inZp, outZp] of quants) {
            const offset = dtype === 'uint8' ? 128 : 0;
            const c: MeanCase = { dtype, shape, axes, keepDims, inScale, outScale, inZp: inZp + offset, outZp: outZp + offset };
            const graph = meanGraph(c);
            const count = shape.reduce((a, b) => a * b, 1);
            const x = dtype === 'int8' ? new Int8Array(count) : new Uint8Array(count);
            for (let i = 0; i < count; i++) x[i] = Math.floor(rng() * 120) - 60 + offset;
            const cmp = await versusRuntime(graph, x);
            if (cmp.differing > 0) failures.push(`${graph.name}: ${cmp.differing} differ, ${cmp.firstDiff}`);
            const n = count / graph.tensors[1 + 1]!.shape.reduce((a, b) => a * b, 1);
            kernels.add(meanRule({ dtype, rank: shape.length, rawAxes: axes, axesInt32: true, keepDims, count: n, inputScale: inScale, inputZeroPoint: c.inZp, outputScale: outScale, outputZeroPoint: c.outZp, requantization: 'xnnpack' }).kernel);
          }
        }
        expect(failures).toEqual([]);
        expect([...kernels].sort()).toEqual(['integer-mean', 'quantized-mean-or-sum', 'xnnpack-global-average-pooling']);
      }, 60_000);
    }
  }
});

describe('8-bit SOFTMAX equals the TFLite runtime (its float lookup-table kernel)', () => {
  for (const dtype of ['int8', 'uint8'] as const) {
    it(`${dtype}: 3000 rows each of depth 3, 5 and 12 near the row maximum`, async () => {
      const rng = mulberry32(dtype === 'int8' ? 77 : 78);
      const failures: string[] = [];
      for (const [depth, scale, beta] of [[3, 0.108, 1.3], [5, 0.072, 1], [12, 0.175, 0.71]] as const) {
        const offset = dtype === 'int8' ? -128 : 0;
        const graph = softmaxGraph(dtype, [3000, depth], quant(scale, offset + 100), beta);
        const x = dtype === 'int8' ? new Int8Array(3000 * depth) : new Uint8Array(3000 * depth);
        for (let i = 0; i < x.length; i++) x[i] = 255 - Math.floor(rng() ** 2 * 120) + offset;
        const cmp = await versusRuntime(graph, x);
        if (cmp.differing > 0) failures.push(`${graph.name}: ${cmp.differing} differ, ${cmp.firstDiff}`);
      }
      expect(failures).toEqual([]);
    });
  }
});
