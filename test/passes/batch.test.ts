// Batch n: a batch-1 model run on n inputs at once gives, per item, exactly what batch-1 runs give,
// on the GPU and on the CPU reference; graphs that mix the batch axis are refused by name.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { importTflite } from '../../src/model/import.ts';
import { tensorElementCount } from '../../src/model/graph.ts';
import { BatchError, batchGraph } from '../../src/passes/batch.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import { runReference } from '../../src/reference/run.ts';
import { GraphBuilder, quant, randomInput } from '../helpers/graphs.ts';
import { testContext } from '../helpers/gpu.ts';
import { mulberry32 } from '../helpers/rng.ts';

const MODELS = ['mlperf-tiny/pretrainedResnet_quant.tflite', 'coral/mobilenet_v1_0.25_128_quant.tflite', 'tflite-micro/micro_speech_quantized.tflite'];

describe('batched runs', () => {
  for (const path of MODELS) {
    it(`${path}: batch 3 equals three batch-1 runs`, { timeout: 300_000 }, async () => {
      const bytes = new Uint8Array(readFileSync(assetPath('models', path)));
      const context = await testContext();
      const single = await OctetModel.load(bytes, { context });
      const batched = await OctetModel.load(bytes, { context, batch: 3 });
      const inputTensor = single.inputs[0]!;
      const rng = mulberry32(31);
      const items = [0, 1, 2].map(() => randomInput(rng, inputTensor));
      const per = tensorElementCount(inputTensor.shape);
      const joined = items[0]!.constructor === Int8Array ? new Int8Array(3 * per) : new Uint8Array(3 * per);
      items.forEach((x, i) => joined.set(x as Int8Array & Uint8Array, i * per));
      expect(batched.inputs[0]!.shape[0]).toBe(3);
      const [batchOut] = await batched.run(joined);
      const [referenceOut] = runReference(batched.graph, [joined], { requantization: 'xnnpack' });
      expect(Array.from(batchOut!)).toEqual(Array.from(referenceOut!));
      const outPer = batchOut!.length / 3;
      for (let i = 0; i < 3; i++) {
        const [one] = await single.run(items[i]!);
        expect(Array.from(batchOut!.subarray(i * outPer, (i + 1) * outPer))).toEqual(Array.from(one!));
      }
      single.dispose();
      batched.dispose();
    });
  }

  it('refuses a graph that concatenates along the batch axis, naming the op', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 4], 'int8', quant(0.1, 0));
    const y = b.tensor('y', [2, 4], 'int8', quant(0.1, 0));
    b.op({ type: 'CONCATENATION', inputs: [x, x], outputs: [y], options: { axis: 0, activation: 'NONE' } });
    const g = b.build([x], [y], 'concat0');
    expect(() => batchGraph(g, 4)).toThrow(BatchError);
    expect(() => batchGraph(g, 4)).toThrow(/CONCATENATION at operator 0: it concatenates along the batch axis/);
    expect(batchGraph(g, 1)).toBe(g);
    expect(() => batchGraph(g, 0)).toThrow(/positive integer/);
  });

  it('refuses a softmax over a rank-1 tensor (its only axis is the batch axis)', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1], 'int8', quant(0.1, 0));
    const y = b.tensor('y', [1], 'int8', quant(1 / 256, -128));
    b.op({ type: 'SOFTMAX', inputs: [x], outputs: [y], options: { beta: 1 } });
    expect(() => batchGraph(b.build([x], [y], 'softmax1'), 2)).toThrow(/SOFTMAX at operator 0: it normalizes over the batch axis/);
  });

  it('refuses a BATCH_MATMUL whose rank-2 operand has a matrix axis where the batch axis would go', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 3], 'int8', quant(0.1, 0));
    const w = b.tensor('w', [1, 5], 'int8', quant(0.1, 0));
    const y = b.tensor('y', [3, 5], 'int8', quant(0.1, 0));
    // x adjoint: [1, 3] is K × M, so its leading dimension is the contracted one.
    b.op({ type: 'BATCH_MATMUL', inputs: [x, w], outputs: [y], options: { adjX: true, adjY: false } });
    expect(() => batchGraph(b.build([x, w], [y], 'bmm'), 2)).toThrow(/BATCH_MATMUL at operator 0: its adjoint rank-2 LHS/);
    const c = new GraphBuilder();
    // rhs [1, 4] is K × N with K = 1: batched, K would become the batch size.
    const lhs = c.tensor('lhs', [1, 2, 1], 'int8', quant(0.1, 0));
    const rhs = c.tensor('rhs', [1, 4], 'int8', quant(0.1, 0));
    const out = c.tensor('out', [1, 2, 4], 'int8', quant(0.1, 0));
    c.op({ type: 'BATCH_MATMUL', inputs: [lhs, rhs], outputs: [out], options: { adjX: false, adjY: false } });
    expect(() => batchGraph(c.build([lhs, rhs], [out], 'bmm2'), 2)).toThrow(/its rank-2 RHS activation/);
  });
});
