// CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED on the GPU equal the CPU reference byte for byte,
// over random shapes (odd channel counts, 1x1 and 3x3, strides 1 and 2, SAME/VALID, dilation 2,
// every fused activation, int8 per-channel and legacy uint8 with weight zero points), with
// dot4I8Packed and with the unpacking fallback.
import { describe, expect, it } from 'vitest';
import type { Activation, Padding } from '../../src/model/graph.ts';
import { convGraph, describeCase, fullyConnectedGraph, randomInput, type ConvCase } from '../helpers/graphs.ts';
import { gpuVersusReference } from '../helpers/compare.ts';
import { DOT4_MODES, REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { mulberry32, pick, randInt } from '../helpers/rng.ts';

const ACTIVATIONS: Activation[] = ['NONE', 'RELU', 'RELU6'];
const PADDINGS: Padding[] = ['SAME', 'VALID'];

function randomConvCases(seed: number, kind: 'conv' | 'depthwise', count: number): ConvCase[] {
  const rng = mulberry32(seed);
  const cases: ConvCase[] = [];
  for (let i = 0; i < count; i++) {
    const k = pick(rng, [1, 3, 3, 5]);
    const dilation = i % 5 === 4 ? 2 : 1;
    const effective = (k - 1) * dilation + 1;
    cases.push({
      kind,
      dtype: i % 3 === 2 ? 'uint8' : 'int8',
      batch: i % 4 === 3 ? 2 : 1,
      inH: randInt(rng, effective, effective + 7),
      inW: randInt(rng, effective, effective + 7),
      inC: pick(rng, [1, 3, 4, 5, 7, 8, 13, 16]),
      outC: pick(rng, [1, 2, 4, 5, 8, 11, 16]),
      k,
      stride: pick(rng, [1, 2]),
      dilation,
      padding: pick(rng, PADDINGS),
      activation: ACTIVATIONS[i % ACTIVATIONS.length]!,
      depthMultiplier: kind === 'depthwise' && i % 4 === 1 ? 2 : 1,
      bias: i % 6 !== 5,
    });
  }
  return cases;
}

for (const [dot4, requantization] of DOT4_MODES.flatMap((d) => REQUANTIZATION_MODES.map((r) => [d, r] as const))) {
  describe(`int8 convolutions equal the reference (dot4 ${dot4}, ${requantization} requantization)`, () => {
    for (const kind of ['conv', 'depthwise'] as const) {
      it(`${kind}: 18 random cases`, async () => {
        const ctx = await testContext(dot4);
        const failures: string[] = [];
        const cases = randomConvCases(kind === 'conv' ? 11 : 23, kind, 18);
        for (const [i, c] of cases.entries()) {
          const rng = mulberry32(1000 + i);
          const graph = convGraph(rng, c);
          const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
          const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization);
          if (cmp!.differing > 0) failures.push(`${describeCase(c)}: ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
        }
        expect(failures).toEqual([]);
      });
    }

    it('fully connected: per-tensor, per-channel, uint8, batches', async () => {
      const ctx = await testContext(dot4);
      const rng = mulberry32(77);
      const failures: string[] = [];
      const specs = [
        { dtype: 'int8', batch: 1, depth: 10, units: 7, perChannel: false, activation: 'NONE' },
        { dtype: 'int8', batch: 3, depth: 33, units: 12, perChannel: true, activation: 'RELU' },
        { dtype: 'uint8', batch: 2, depth: 64, units: 10, perChannel: false, activation: 'RELU6' },
        { dtype: 'int8', batch: 1, depth: 256, units: 1001, perChannel: false, activation: 'NONE' },
      ] as const;
      for (const spec of specs) {
        const graph = fullyConnectedGraph(rng, spec);
        const [cmp] = await gpuVersusReference(ctx, graph, [randomInput(rng, graph.tensors[graph.inputs[0]!]!)], requantization);
        if (cmp!.differing > 0) failures.push(`${graph.name}: ${cmp!.differing} differ, ${cmp!.firstDiff}`);
      }
      expect(failures).toEqual([]);
    });
  });
}
