// Runs a smoke subset of the kernel cases in the browser's own WebGPU (navigator.gpu): every int8
// op family, with dot4I8Packed and with the fallback, in both requantization modes, each output
// compared byte for byte with the CPU reference. Results land on window.__octetKernelResults.
import { requestGpuContext } from '../../src/gpu/context.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { runReference } from '../../src/reference/run.ts';
import type { Graph } from '../../src/model/graph.ts';
import { convGraph, fullyConnectedGraph, GraphBuilder, quant, randomInput } from '../helpers/graphs.ts';
import { compareTensors } from '../helpers/compare.ts';
import { mulberry32 } from '../helpers/rng.ts';

interface CaseResult {
  name: string;
  dot4: string;
  requantization: string;
  elements: number;
  differing: number;
  error?: string;
}

function addSoftmaxGraph(): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('x', [1, 5, 3, 7], 'int8', quant(0.05, 3));
  const y = b.tensor('y', [1, 5, 3, 7], 'int8', quant(0.07, -4));
  const sum = b.tensor('sum', [1, 5, 3, 7], 'int8', quant(0.1, 1));
  const pooled = b.tensor('pooled', [1, 1, 1, 7], 'int8', quant(0.1, 1));
  const flat = b.tensor('flat', [1, 7], 'int8', quant(0.1, 1));
  const probs = b.tensor('probs', [1, 7], 'int8', quant(1 / 256, -128));
  b.op({ type: 'ADD', inputs: [x, y], outputs: [sum], options: { activation: 'RELU' } });
  b.op({ type: 'AVERAGE_POOL_2D', inputs: [sum], outputs: [pooled], options: { padding: 'VALID', strideH: 1, strideW: 1, filterH: 5, filterW: 3, activation: 'NONE' } });
  b.op({ type: 'RESHAPE', inputs: [pooled], outputs: [flat], options: { newShape: [1, 7] } });
  b.op({ type: 'SOFTMAX', inputs: [flat], outputs: [probs], options: { beta: 1 } });
  return b.build([x, y], [probs], 'add → avgpool → reshape → softmax');
}

function describeInfo(info: GPUAdapterInfo | undefined): string {
  return info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') : '';
}

async function main(): Promise<void> {
  const results: CaseResult[] = [];
  const rng = mulberry32(2026);
  const graphs: Graph[] = [
    convGraph(rng, { kind: 'conv', dtype: 'int8', batch: 1, inH: 7, inW: 6, inC: 5, outC: 6, k: 3, stride: 2, dilation: 1, padding: 'SAME', activation: 'RELU6', depthMultiplier: 1, bias: true }),
    convGraph(rng, { kind: 'conv', dtype: 'uint8', batch: 1, inH: 6, inW: 6, inC: 16, outC: 8, k: 1, stride: 1, dilation: 1, padding: 'VALID', activation: 'NONE', depthMultiplier: 1, bias: true }),
    convGraph(rng, { kind: 'depthwise', dtype: 'uint8', batch: 2, inH: 6, inW: 5, inC: 7, outC: 7, k: 3, stride: 1, dilation: 2, padding: 'SAME', activation: 'RELU', depthMultiplier: 1, bias: true }),
    fullyConnectedGraph(rng, { dtype: 'int8', batch: 2, depth: 33, units: 10, perChannel: true, activation: 'NONE' }),
    addSoftmaxGraph(),
  ];
  for (const dot4 of ['auto', 'off'] as const) {
    const ctx = await requestGpuContext(navigator.gpu, { dot4 });
    for (const requantization of ['tflite', 'xnnpack'] as const) {
      for (const graph of graphs) {
        const inputs = graph.inputs.map((id) => randomInput(mulberry32(id + 7), graph.tensors[id]!));
        try {
          const program = await GpuProgram.build(ctx, graph, { requantization });
          const { outputs } = await program.run(inputs);
          program.dispose();
          const cmp = compareTensors(outputs[0]!, runReference(graph, inputs, { requantization })[0]!);
          results.push({ name: graph.name, dot4: ctx.useDot4 ? 'dot4I8Packed' : 'fallback', requantization, elements: cmp.elements, differing: cmp.differing });
        } catch (e) {
          results.push({ name: graph.name, dot4, requantization, elements: 0, differing: -1, error: String(e) });
        }
      }
    }
    ctx.destroy();
  }
  (window as unknown as { __octetKernelResults: unknown }).__octetKernelResults = { adapter: describeInfo((await navigator.gpu.requestAdapter())?.info), results };
}

main().catch((e) => {
  (window as unknown as { __octetKernelResults: unknown }).__octetKernelResults = { adapter: '', results: [], fatal: String(e) };
});
