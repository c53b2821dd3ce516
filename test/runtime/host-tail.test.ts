// Host ops after the GPU program (TFLite_Detection_PostProcess): the GPU runs the graph before
// them, reads back their inputs with its outputs, and the reference's kernel computes the tail.
// The GPU model equals the CPU reference exactly (all four outputs, every row), on the op alone
// and behind GPU ops (RESHAPE of the box encodings, LOGISTIC of the class logits, as in SSD
// exports); a GPU op that would read a host op's output is refused at load, naming both; `octet
// inspect`'s placement says 'host'.
import { describe, expect, it } from 'vitest';
import type { Graph, OpIR } from '../../src/model/graph.ts';
import { formatSummary, inspectGraph } from '../../src/model/inspect.ts';
import { gpuPlacement } from '../../src/kernels/registry.ts';
import { LoweringError } from '../../src/kernels/lowering.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import { BatchError, batchGraph } from '../../src/passes/batch.ts';
import { runReference, type TensorData } from '../../src/reference/run.ts';
import { detectionGraph, type DetectionCase } from '../helpers/detection-graphs.ts';
import { quant } from '../helpers/graphs.ts';
import { testContext } from '../helpers/gpu.ts';
import { mulberry32 } from '../helpers/rng.ts';

const CASES: DetectionCase[] = [
  { name: 'uint8 fast', boxes: 'uint8', classes: 'uint8', numBoxes: 50, numClasses: 4, background: true, options: { maxClassesPerDetection: 2, nmsScoreThreshold: Math.fround(0.9) } },
  { name: 'uint8 regular', boxes: 'uint8', classes: 'uint8', numBoxes: 60, numClasses: 6, background: false, scoreLevels: 5, options: { useRegularNms: true, detectionsPerClass: 4, maxDetections: 12 } },
  { name: 'float32 fast', boxes: 'float32', classes: 'float32', numBoxes: 30, numClasses: 3, background: true, boxStride: 6, options: {} },
];

/**
 * The SSD export's tail in front of the op: box encodings [1, N, 1, 4] → RESHAPE → [1, N, 4], and
 * class logits → LOGISTIC (uint8, output scale 1/256) → class predictions.
 */
function behindGpuOps(g: Graph): Graph {
  const op = g.ops[0]! as Extract<OpIR, { type: 'DETECTION_POSTPROCESS' }>;
  const [boxes, classes] = [g.tensors[op.inputs[0]!]!, g.tensors[op.inputs[1]!]!];
  const tensors = [...g.tensors];
  const add = (t: Omit<Graph['tensors'][number], 'id'>) => {
    tensors.push({ ...t, id: tensors.length });
    return tensors.length - 1;
  };
  const rawBoxes = add({ name: 'raw_boxes', shape: [1, boxes.shape[1]!, 1, 4], dtype: 'uint8', quant: boxes.quant });
  const shape = add({ name: 'shape', shape: [3], dtype: 'int32', data: new Uint8Array(Int32Array.from(boxes.shape).buffer) });
  const logits = add({ name: 'logits', shape: classes.shape, dtype: 'uint8', quant: quant(0.05, 128) });
  const ops: OpIR[] = [
    { index: 0, type: 'RESHAPE', version: 1, inputs: [rawBoxes, shape], outputs: [boxes.id], options: {} },
    { index: 1, type: 'LOGISTIC', version: 1, inputs: [logits], outputs: [classes.id], options: {} },
    { ...op, index: 2 },
  ];
  return { ...g, tensors, ops, inputs: [rawBoxes, logits] };
}

async function expectGpuEqualsReference(graph: Graph, inputs: TensorData[]): Promise<void> {
  const model = await OctetModel.load(graph, { context: await testContext() });
  try {
    const gpu = await model.run(inputs);
    const cpu = runReference(graph, inputs, { requantization: 'xnnpack' });
    expect(gpu.map((t) => Array.from(t))).toEqual(cpu.map((t) => Array.from(t)));
    expect(gpu[3]![0]).toBeGreaterThan(0);
  } finally {
    model.dispose();
  }
}

describe('host tail: TFLite_Detection_PostProcess after the GPU program', () => {
  for (const c of CASES) {
    it(`${c.name}: the op alone (the GPU program only moves the inputs)`, async () => {
      const { graph, inputs } = detectionGraph(mulberry32(3), c);
      await expectGpuEqualsReference(graph, inputs);
    });
  }

  for (const c of CASES.slice(0, 2)) {
    it(`${c.name}: behind RESHAPE and LOGISTIC on the GPU`, async () => {
      const { graph, inputs } = detectionGraph(mulberry32(4), c);
      const g = behindGpuOps(graph);
      const rng = mulberry32(8);
      const rand = (t: number) => Uint8Array.from({ length: g.tensors[t]!.shape.reduce((a, b) => a * b, 1) }, () => Math.floor(rng() * 256));
      await expectGpuEqualsReference(g, [inputs[0]!, rand(g.inputs[1]!)]);
    });
  }

  it('captures a host output and a GPU tensor the tail reads', async () => {
    const { graph, inputs } = detectionGraph(mulberry32(4), CASES[0]!);
    const g = behindGpuOps(graph);
    const program = await GpuProgram.build(await testContext(), g);
    try {
      const classes = g.ops[2]!.inputs[1]!;
      const count = g.outputs[3]!;
      const logits = new Uint8Array(g.tensors[g.inputs[1]!]!.shape.reduce((a, b) => a * b, 1)).fill(200);
      const r = await program.run([inputs[0]!, logits], { capture: [classes, count] });
      const cpu = runReference(g, [inputs[0]!, logits], { requantization: 'xnnpack' });
      expect(Array.from(r.captured.get(count)!)).toEqual(Array.from(cpu[3]!));
      expect(r.captured.get(classes)).toBeInstanceOf(Uint8Array);
    } finally {
      program.dispose();
    }
  });

  it('refuses a GPU op that reads a host output, naming both', async () => {
    const { graph } = detectionGraph(mulberry32(1), CASES[2]!);
    const scores = graph.outputs[2]!;
    const tensors = [...graph.tensors, { id: graph.tensors.length, name: 'after', shape: graph.tensors[scores]!.shape, dtype: 'float32' as const }];
    const after: OpIR = { index: 1, type: 'RELU', version: 1, inputs: [scores], outputs: [tensors.length - 1], options: {} };
    const g: Graph = { ...graph, tensors, ops: [...graph.ops, after], outputs: [...graph.outputs, tensors.length - 1] };
    await expect(GpuProgram.build(await testContext(), g)).rejects.toThrow(LoweringError);
    await expect(GpuProgram.build(await testContext(), g)).rejects.toThrow(
      /RELU \(operator 1\) reads tensor \d+, written by DETECTION_POSTPROCESS \(operator 0\), which runs on the host after the GPU program/,
    );
  });

  it('is refused by batching, naming the op (TFLite runs it at batch 1)', () => {
    const { graph } = detectionGraph(mulberry32(1), CASES[0]!);
    expect(() => batchGraph(graph, 2)).toThrow(BatchError);
    expect(() => batchGraph(graph, 2)).toThrow(/DETECTION_POSTPROCESS/);
  });

  it("is placed on the 'host' by the GPU registry and by inspect", () => {
    const { graph } = detectionGraph(mulberry32(1), CASES[0]!);
    const g = behindGpuOps(graph);
    const listed = inspectGraph(g, (op) => gpuPlacement(g, op));
    expect(listed.operators.map((o) => o.runsOn)).toEqual(['int8 GPU', 'int8 GPU', 'host']);
    expect(inspectGraph(g).operators[2]).toMatchObject({ op: 'DETECTION_POSTPROCESS', runsOn: 'host' });
    expect(formatSummary(listed)).toMatch(/\n2\s+DETECTION_POSTPROCESS\s+1\s+host\s+on the CPU after the GPU program, on its read-back inputs\n/);
  });
});
