// RESHAPE, SQUEEZE and EXPAND_DIMS that keep the GPU bytes (the innermost dimension, or whole
// words on both sides), and a CAST to its own type, are buffer aliases: no step, the output sharing its input's buffer for the union of their live ranges. The plan keeps every group's bytes intact
// while any member is read; graphs with reshape chains, a reshape feeding two consumers, at the
// graph's input and output, and captured, equal the CPU reference (int8 byte for byte, float
// within the float kernels' tolerance and, for the reshaped tensors, bit for bit their sources).
import { describe, expect, it } from 'vitest';
import type { DType, Graph, QuantParams } from '../../src/model/graph.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { liveRanges, planBuffers, type Plan } from '../../src/runtime/plan.ts';
import { runReferenceAll } from '../../src/reference/run.ts';
import { GraphBuilder, quant, randomInput } from '../helpers/graphs.ts';
import { compareFloat, randomFloats } from '../helpers/float-graphs.ts';
import { testContext } from '../helpers/gpu.ts';
import { mulberry32, randInt } from '../helpers/rng.ts';

interface ReshapeChain {
  graph: Graph;
  /** Tensor ids by name. */
  ids: Record<string, number>;
  reshapes: number;
  convs: number;
}

/**
 * input [1,36,8] → RESHAPE ri [1,6,6,8] → conv a0 → RESHAPE r0 [36,8] → RESHAPE r1
 * [1,6,6,8] → conv a1 and conv a2 (r1 has two consumers) → RESHAPE r2 [1,36,1,8] (of a1) →
 * conv a3 → conv a4 → RESHAPE out [1,36,8]. Outputs: out, a2 and r0 (an output aliasing an
 * activation whose own last reader comes early, so only the union of ranges keeps later
 * activations off its buffer). The a1/r2 group dies at a3, so a capture of r2 must be copied then,
 * not at the end of the run.
 */
function reshapeChain(dtype: 'int8' | 'float32', seed: number): ReshapeChain {
  const rng = mulberry32(seed);
  const b = new GraphBuilder();
  const q = (scale: number, zp: number): QuantParams | undefined => (dtype === 'int8' ? quant(scale, zp) : undefined);
  const ids: Record<string, number> = {};
  const t = (name: string, shape: number[], qp?: QuantParams, d: DType = dtype) => (ids[name] = b.tensor(name, shape, d, qp));
  const shapeOf = (shape: number[]) => b.tensor(`shape [${shape}]`, [shape.length], 'int32', undefined, Int32Array.from(shape));
  const reshape = (from: number, to: number, shape: number[]) => b.op({ type: 'RESHAPE', inputs: [from, shapeOf(shape)], outputs: [to], options: { newShape: shape } });
  let convs = 0;
  const conv = (from: number, name: string, zp: number, shape = [1, 6, 6, 8]) => {
    const w = dtype === 'int8' ? Int8Array.from({ length: 8 * 9 * 8 }, () => randInt(rng, -20, 20)) : randomFloats(rng, 8 * 9 * 8, -0.3, 0.3);
    const filter = b.tensor(`w ${name}`, [8, 3, 3, 8], dtype, dtype === 'int8' ? quant(new Array(8).fill(0.01), new Array(8).fill(0)) : undefined, w);
    const out = t(name, shape, q(0.05 + 0.005 * convs, randInt(rng, -5, 5)));
    b.op({ type: 'CONV_2D', inputs: [from, filter, -1], outputs: [out], options: { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' } });
    convs++;
    return out;
  };
  const inQ = q(0.05, 3);
  const input = t('input', [1, 36, 8], inQ);
  reshape(input, t('ri', [1, 6, 6, 8], inQ), [1, 6, 6, 8]);
  const a0 = conv(ids.ri!, 'a0', 2);
  const a0q = b.tensors[a0]!.quant;
  reshape(a0, t('r0', [36, 8], a0q), [36, 8]);
  reshape(ids.r0!, t('r1', [1, 6, 6, 8], a0q), [1, 6, 6, 8]);
  const a1 = conv(ids.r1!, 'a1', 0);
  const a2 = conv(ids.r1!, 'a2', 0);
  reshape(a1, t('r2', [1, 36, 1, 8], b.tensors[a1]!.quant), [1, 36, 1, 8]);
  const a3 = conv(ids.r2!, 'a3', 0, [1, 36, 1, 8]);
  const a4 = conv(a3, 'a4', 0, [1, 36, 1, 8]);
  reshape(a4, t('out', [1, 36, 8], b.tensors[a4]!.quant), [1, 36, 8]);
  return { graph: b.build([input], [ids.out!, a2, ids.r0!], `reshape chain ${dtype}`), ids, reshapes: 5, convs };
}

/** Every pair of tensors sharing a slot is either one alias group or never live at once. */
function overlapsInSlots(graph: Graph, plan: Plan): string[] {
  const ranges = liveRanges(graph);
  const root = (id: number) => plan.aliasRoot.get(id) ?? id;
  const groupRange = new Map<number, [number, number]>();
  for (const [id, [first, last]] of ranges) {
    const r = groupRange.get(root(id));
    groupRange.set(root(id), r ? [Math.min(r[0], first), Math.max(r[1], last)] : [first, last]);
  }
  const bad: string[] = [];
  for (const slot of plan.slots) {
    const roots = [...new Set(slot.tensors.map(root))];
    for (let i = 0; i < roots.length; i++) {
      for (let j = i + 1; j < roots.length; j++) {
        const [a, b] = [groupRange.get(roots[i]!)!, groupRange.get(roots[j]!)!];
        if (a[0] <= b[1] && b[0] <= a[1]) bad.push(`slot ${slot.index}: groups of ${roots[i]} [${a}] and ${roots[j]} [${b}]`);
      }
    }
  }
  return bad;
}

describe('buffer aliases in the plan', () => {
  it('an alias group takes one slot, live for the union of its members’ ranges', () => {
    const { graph, ids } = reshapeChain('int8', 1);
    const aliases = new Map([
      [ids.ri!, ids.input!],
      [ids.r0!, ids.a0!],
      [ids.r1!, ids.r0!],
      [ids.r2!, ids.a1!],
      [ids.out!, ids.a4!],
    ]);
    const plan = planBuffers(graph, aliases);
    // A reshape of a reshape resolves to the tensor that owns the bytes.
    expect(plan.aliasRoot.get(ids.r1!)).toBe(ids.a0);
    expect(plan.aliasRoot.get(ids.ri!)).toBe(ids.input);
    for (const [alias, source] of aliases) expect(plan.slotOf.get(alias), `tensor ${alias}`).toBe(plan.slotOf.get(source));
    expect(overlapsInSlots(graph, plan)).toEqual([]);
    // a0 itself is last read by the reshape at position 2; its group lives to the end (r0 is an
    // output), so no later activation shares its slot.
    const a0Slot = plan.slots[plan.slotOf.get(ids.a0!)!]!;
    expect(a0Slot.tensors.sort()).toEqual([ids.a0, ids.r0, ids.r1].sort());
    // The same plan without aliases reuses a0's slot once the reshape read it: what the union prevents.
    const unaliased = planBuffers(graph);
    expect(unaliased.slots[unaliased.slotOf.get(ids.a0!)!]!.tensors.length).toBeGreaterThan(1);
    // Four fewer buffers' worth of tensors to place; never more bytes than without aliases.
    expect(plan.activationBytes).toBeLessThanOrEqual(unaliased.activationBytes);
    expect(plan.unsharedBytes).toBe(unaliased.unsharedBytes);
  });

  it('refuses an alias of a constant', () => {
    const { graph, ids } = reshapeChain('int8', 1);
    const constant = graph.tensors.findIndex((t) => t.data !== undefined);
    expect(() => planBuffers(graph, new Map([[ids.r0!, constant]]))).toThrow(/no activation buffer/);
  });
});

describe('reshape aliases on the GPU', () => {
  it('int8: a reshape chain, two consumers, graph input and output, captures: equal to the reference, with no copy', async () => {
    const ctx = await testContext();
    const { graph, ids, convs } = reshapeChain('int8', 7);
    const program = await GpuProgram.build(ctx, graph, { requantization: 'xnnpack' });
    try {
      const steps = program.stepList();
      expect(steps.filter((s) => s.kind === 'copy')).toEqual([]);
      expect(steps.filter((s) => s.kind === 'dispatch')).toHaveLength(convs);
      expect(steps.some((s) => s.label.includes('reshape'))).toBe(false);
      const rng = mulberry32(3);
      const capture = [ids.ri!, ids.a0!, ids.r0!, ids.r1!, ids.a1!, ids.r2!, ids.out!];
      for (let k = 0; k < 3; k++) {
        const input = randomInput(rng, graph.tensors[ids.input!]!);
        const reference = runReferenceAll(graph, [input], { requantization: 'xnnpack' });
        const { outputs, captured } = await program.run([input], { capture });
        graph.outputs.forEach((id, i) => expect(Array.from(outputs[i]!), `output ${graph.tensors[id]!.name}`).toEqual(Array.from(reference.get(id)!)));
        for (const id of capture) expect(Array.from(captured.get(id)!), `capture ${graph.tensors[id]!.name}`).toEqual(Array.from(reference.get(id)!));
        // Weights and scales keep the activations off the clamps, so wrong bytes cannot hide there.
        const a4 = Array.from(reference.get(ids.a4!)!);
        expect(a4.filter((v) => v === 127 || v === -128).length).toBeLessThan(a4.length / 10);
      }
    } finally {
      program.dispose();
    }
  });

  it('float32: the same chain within the float tolerance, reshaped tensors bit for bit their sources', async () => {
    const ctx = await testContext();
    const { graph, ids, convs } = reshapeChain('float32', 8);
    const program = await GpuProgram.build(ctx, graph);
    try {
      const steps = program.stepList();
      expect(steps.filter((s) => s.kind === 'copy')).toEqual([]);
      expect(steps.filter((s) => s.kind === 'dispatch')).toHaveLength(convs);
      const input = randomFloats(mulberry32(4), 36 * 8, -4, 4);
      const reference = runReferenceAll(graph, [input]);
      const capture = [ids.ri!, ids.a0!, ids.r0!, ids.r1!, ids.a1!, ids.r2!, ids.a4!, ids.out!];
      const { outputs, captured } = await program.run([input], { capture });
      graph.outputs.forEach((id, i) => expect(compareFloat(outputs[i]!, reference.get(id) as Float32Array).bad, `output ${graph.tensors[id]!.name}`).toBe(0));
      expect(Array.from(captured.get(ids.ri!)!)).toEqual(Array.from(input));
      expect(Array.from(captured.get(ids.r0!)!)).toEqual(Array.from(captured.get(ids.a0!)!));
      expect(Array.from(captured.get(ids.r1!)!)).toEqual(Array.from(captured.get(ids.a0!)!));
      expect(Array.from(captured.get(ids.r2!)!)).toEqual(Array.from(captured.get(ids.a1!)!));
      expect(Array.from(captured.get(ids.out!)!)).toEqual(Array.from(captured.get(ids.a4!)!));
      expect(Array.from(outputs[2]!)).toEqual(Array.from(captured.get(ids.a0!)!));
      expect(compareFloat(captured.get(ids.a0!)!, reference.get(ids.a0!) as Float32Array).bad).toBe(0);
    } finally {
      program.dispose();
    }
  });

  it('a graph that is one reshape of its input to its output: the output reads the input buffer', async () => {
    const ctx = await testContext();
    const b = new GraphBuilder();
    const input = b.tensor('input', [2, 3, 5], 'int8', quant(0.1, -4));
    const output = b.tensor('output', [6, 5], 'int8', quant(0.1, -4));
    b.op({ type: 'RESHAPE', inputs: [input, b.tensor('shape', [2], 'int32', undefined, Int32Array.from([6, 5]))], outputs: [output], options: { newShape: [6, 5] } });
    const graph = b.build([input], [output], 'reshape only');
    const program = await GpuProgram.build(ctx, graph);
    try {
      expect(program.stepList()).toEqual([]);
      expect(program.plan.slots).toHaveLength(1);
      const x = randomInput(mulberry32(5), graph.tensors[input]!);
      const { outputs, captured } = await program.run([x], { capture: [output] });
      expect(Array.from(outputs[0]!)).toEqual(Array.from(x));
      expect(Array.from(captured.get(output)!)).toEqual(Array.from(x));
    } finally {
      program.dispose();
    }
  });

  it('a reshape between innermost dimensions of whole words aliases (an SSD head); one to a cut word gathers', async () => {
    const ctx = await testContext();
    const b = new GraphBuilder();
    const q = quant(0.1, -4);
    const shapeOf = (shape: number[]) => b.tensor(`shape [${shape}]`, [shape.length], 'int32', undefined, Int32Array.from(shape));
    const input = b.tensor('input', [1, 3, 5, 8], 'int8', q);
    const boxes = b.tensor('boxes', [1, 30, 4], 'int8', q);
    b.op({ type: 'RESHAPE', inputs: [input, shapeOf([1, 30, 4])], outputs: [boxes], options: { newShape: [1, 30, 4] } });
    const wide = b.tensor('wide', [3, 40], 'int8', q);
    b.op({ type: 'RESHAPE', inputs: [boxes, shapeOf([3, 40])], outputs: [wide], options: { newShape: [3, 40] } });
    // 40 → 6: a cut last word, a different packing.
    const cut = b.tensor('cut', [1, 20, 6], 'int8', q);
    b.op({ type: 'RESHAPE', inputs: [wide, shapeOf([1, 20, 6])], outputs: [cut], options: { newShape: [1, 20, 6] } });
    const graph = b.build([input], [boxes, wide, cut], 'whole-word reshapes');
    const program = await GpuProgram.build(ctx, graph);
    try {
      expect(program.stepList().map((s) => s.label)).toEqual([expect.stringContaining('reshape#2')]);
      expect(program.plan.slotOf.get(boxes)).toBe(program.plan.slotOf.get(input));
      expect(program.plan.slotOf.get(wide)).toBe(program.plan.slotOf.get(input));
      const x = randomInput(mulberry32(8), graph.tensors[input]!);
      const { outputs } = await program.run([x]);
      const reference = runReferenceAll(graph, [x]);
      graph.outputs.forEach((id, i) => expect(Array.from(outputs[i]!), graph.tensors[id]!.name).toEqual(Array.from(reference.get(id)!)));
    } finally {
      program.dispose();
    }
  });

  it('EXPAND_DIMS that keeps the packed layout and a CAST to its own type alias too; one that moves the innermost dimension gathers', async () => {
    const ctx = await testContext();
    const b = new GraphBuilder();
    const q = quant(0.1, -4);
    const input = b.tensor('input', [2, 5], 'int8', q);
    const axis = (v: number) => b.tensor(`axis ${v}`, [], 'int32', undefined, Int32Array.of(v));
    const expanded = b.tensor('expanded', [1, 2, 5], 'int8', q);
    b.op({ type: 'EXPAND_DIMS', inputs: [input, axis(0)], outputs: [expanded], options: {} });
    const cast = b.tensor('cast', [1, 2, 5], 'int8', q);
    b.op({ type: 'CAST', inputs: [expanded], outputs: [cast], options: {} });
    // [2, 5] → [2, 5, 1]: the innermost dimension becomes 1, a different packing.
    const moved = b.tensor('moved', [1, 2, 5, 1], 'int8', q);
    b.op({ type: 'EXPAND_DIMS', inputs: [cast, axis(-1)], outputs: [moved], options: {} });
    const graph = b.build([input], [cast, moved], 'expand and cast');
    const program = await GpuProgram.build(ctx, graph);
    try {
      expect(program.stepList().map((s) => s.kind)).toEqual(['dispatch']);
      expect(program.plan.slotOf.get(cast)).toBe(program.plan.slotOf.get(input));
      const x = randomInput(mulberry32(6), graph.tensors[input]!);
      const { outputs } = await program.run([x]);
      const reference = runReferenceAll(graph, [x]);
      graph.outputs.forEach((id, i) => expect(Array.from(outputs[i]!), graph.tensors[id]!.name).toEqual(Array.from(reference.get(id)!)));
    } finally {
      program.dispose();
    }
  });
});
