// Runs a graph on the GPU and on the CPU reference and reports byte differences.
import type { Graph } from '../../src/model/graph.ts';
import { GpuProgram, type GpuProgramOptions } from '../../src/runtime/gpu-program.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { runReference, type RequantizationMode } from '../../src/reference/run.ts';
import type { GpuContext } from '../../src/gpu/context.ts';

export interface Comparison {
  elements: number;
  differing: number;
  maxAbsDiff: number;
  firstDiff?: string;
}

export function compareTensors(got: TensorData, expected: TensorData): Comparison {
  let differing = 0;
  let maxAbsDiff = 0;
  let firstDiff: string | undefined;
  const n = Math.max(got.length, expected.length);
  for (let i = 0; i < n; i++) {
    const d = Math.abs(Number(got[i]) - Number(expected[i]));
    if (d !== 0 || Number.isNaN(d)) {
      differing++;
      maxAbsDiff = Math.max(maxAbsDiff, d);
      firstDiff ??= `element ${i}: got ${got[i]}, expected ${expected[i]}`;
    }
  }
  return { elements: n, differing, maxAbsDiff, firstDiff };
}

/** GPU output versus reference output for each graph output; disposes the program. */
export async function gpuVersusReference(
  ctx: GpuContext,
  graph: Graph,
  inputs: TensorData[],
  requantization: RequantizationMode = 'tflite',
  options: Pick<GpuProgramOptions, 'int8Arithmetic' | 'tiles' | 'convKernel'> = {},
): Promise<Comparison[]> {
  const program = await GpuProgram.build(ctx, graph, { requantization, ...options });
  try {
    const { outputs } = await program.run(inputs);
    const expected = runReference(graph, inputs, { requantization });
    return outputs.map((o, i) => compareTensors(o, expected[i]!));
  } finally {
    program.dispose();
  }
}
