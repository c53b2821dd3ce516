// Graphs the TFLite runtime refuses to hand to its XNNPACK delegate (a tensor sized at run time,
// src/model/tflite-delegation.ts) run every op on TFLite's builtin kernels, and 'xnnpack'
// requantization follows them there: ruy's single rounding for CONV_2D and FULLY_CONNECTED,
// the double rounding for DEPTHWISE_CONV_2D, TFLite's own ADD, MUL, QUANTIZE and MEAN. Each op
// runs twice against the runtime (the WASM build that made the reference vectors): as written
// (delegated) and with a SHAPE → RESHAPE tail that makes its output dynamic (not delegated).
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/model/graph.ts';
import { xnnpackDelegateApplies } from '../../src/model/tflite-delegation.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { runReference, type TensorData } from '../../src/reference/run.ts';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { compareTensors } from '../helpers/compare.ts';
import { withDynamicTail } from '../helpers/delegation-graphs.ts';
import { convGraph, fullyConnectedGraph, quant, randomInput, type ConvCase } from '../helpers/graphs.ts';
import { arithGraph, arithInputs, type ArithCase } from '../helpers/binary-graphs.ts';
import { meanGraph } from '../helpers/pool-elementwise-graphs.ts';
import { quantizeGraph, softmaxGraph } from '../helpers/shape-ops-graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

/** The graph as written and with its dynamic tail, each against the runtime: lines that differ. */
async function versusRuntime(graph: Graph, inputs: TensorData[]): Promise<string[]> {
  const failures: string[] = [];
  for (const [g, delegated] of [[graph, true], [withDynamicTail(graph), false]] as const) {
    expect(xnnpackDelegateApplies(g), g.name).toBe(delegated);
    const peer = await createTflitePeer(exportTflite(g));
    const tflite = peer.run(inputs);
    const ours = runReference(g, inputs, { requantization: 'xnnpack' });
    ours.forEach((o, i) => {
      const t = tflite[i]!;
      const expected = o instanceof Int8Array ? new Int8Array(t.buffer, t.byteOffset, t.byteLength) : t;
      const cmp = compareTensors(o, expected as TensorData);
      if (cmp.differing > 0) failures.push(`${g.name}: ${cmp.differing}/${cmp.elements} differ, ${cmp.firstDiff}`);
    });
  }
  return failures;
}

function randomInputs(seed: number, graph: Graph): TensorData[] {
  const rng = mulberry32(seed);
  return graph.inputs.map((id) => randomInput(rng, graph.tensors[id]!));
}

const conv = (c: Partial<ConvCase>): ConvCase => ({
  kind: 'conv', dtype: 'int8', batch: 1, inH: 9, inW: 9, inC: 8, outC: 12, k: 3, stride: 1, dilation: 1,
  padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: true, ...c,
});

describe('convolutions in a graph the delegate refuses follow TFLite\'s builtin kernels', () => {
  const cases: ConvCase[] = [
    conv({}),
    conv({ k: 1, inC: 16, outC: 24, activation: 'RELU6' }),
    conv({ stride: 2, padding: 'VALID', inC: 3, outC: 8, activation: 'RELU' }),
    conv({ kind: 'depthwise', inC: 16, activation: 'RELU6' }),
    conv({ kind: 'depthwise', inC: 8, depthMultiplier: 2, stride: 2 }),
    conv({ dtype: 'uint8' }),
    conv({ dtype: 'uint8', k: 1, inC: 16, outC: 24, activation: 'RELU6' }),
    conv({ dtype: 'uint8', kind: 'depthwise', inC: 16 }),
  ];
  for (const [i, c] of cases.entries()) {
    it(`${c.kind} ${c.dtype} k${c.k} s${c.stride} m${c.depthMultiplier} ${c.activation}`, async () => {
      const graph = convGraph(mulberry32(10 + i), c);
      const failures: string[] = [];
      for (let set = 0; set < 3; set++) failures.push(...(await versusRuntime(graph, randomInputs(100 * i + set, graph))));
      expect(failures).toEqual([]);
    });
  }

  for (const [dtype, perChannel] of [['int8', true], ['int8', false], ['uint8', false]] as const) {
    it(`FULLY_CONNECTED ${dtype}${perChannel ? ' per-channel' : ''}`, async () => {
      const graph = fullyConnectedGraph(mulberry32(40), { dtype, batch: 3, depth: 40, units: 33, perChannel, activation: 'NONE' });
      const failures: string[] = [];
      for (let set = 0; set < 3; set++) failures.push(...(await versusRuntime(graph, randomInputs(500 + set, graph))));
      expect(failures).toEqual([]);
    });
  }
});

describe('elementwise ops and MEAN in a graph the delegate refuses', () => {
  it('ADD, SUB and MUL, int8 and uint8', async () => {
    const failures: string[] = [];
    for (const [i, op] of (['ADD', 'SUB', 'MUL'] as const).entries()) {
      for (const dtype of ['int8', 'uint8'] as const) {
        const c: ArithCase = { op, dtype, aShape: [4, 500], bShape: [1, 500] };
        const rng = mulberry32(60 + i);
        const graph = arithGraph(rng, c);
        failures.push(...(await versusRuntime(graph, arithInputs(rng, c))));
      }
    }
    expect(failures).toEqual([]);
  });

  it('QUANTIZE from float32 and between 8-bit types', async () => {
    const failures: string[] = [];
    const x8 = Int8Array.from({ length: 256 }, (_, i) => i - 128);
    failures.push(...(await versusRuntime(quantizeGraph('int8', 'int8', [1, 256], quant(0.01655, 31), quant(0.0585, 66)), [x8])));
    // Float32 ties x = (k + ½)·scale, which the double quotient of the builtin kernel moves off the tie.
    for (const [dtype, scale, zp] of [['int8', 0.05, 3], ['int8', 1 / 3, 0], ['uint8', 0.003921568859368563, 0], ['uint8', 0.0236, 131]] as const) {
      const s = Math.fround(scale);
      const xf = Float32Array.from({ length: 600 }, (_, k) => Math.fround((k - 300 + 0.5) * s));
      failures.push(...(await versusRuntime(quantizeGraph('float32', dtype, [1, 600], undefined, quant(scale, zp)), [xf])));
    }
    expect(failures).toEqual([]);
  });

  it('MEAN over H and W (XNNPACK global average pooling when delegated) and SOFTMAX', async () => {
    const failures: string[] = [];
    for (const dtype of ['int8', 'uint8'] as const) {
      const graph = meanGraph(mulberry32(70), { dtype, shape: [1, 4, 4, 24], axes: [1, 2], keepDims: true });
      failures.push(...(await versusRuntime(graph, randomInputs(71, graph))));
      const soft = softmaxGraph(dtype, [3, 40], quant(0.11, dtype === 'int8' ? -5 : 123), 1);
      failures.push(...(await versusRuntime(soft, randomInputs(72, soft))));
    }
    expect(failures).toEqual([]);
  });
});
