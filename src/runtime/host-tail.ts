// Ops that run on the host after the GPU program: TFLite_Detection_PostProcess, whose work
// (sorting, greedy non-max suppression over a few thousand boxes) is sequential and small next to
// the network before it, and 8-bit LOG_SOFTMAX (its exact result needs a correctly rounded logf;
// see runsOnHost in src/model/inspect.ts). The GPU program runs every other op, reads back the
// host ops' inputs with its outputs (the one readback a run has anyway), and the CPU reference's
// kernel computes the tail, so the GPU path's result is the reference's by construction.
import { operatorName, type Graph, type OpIR } from '../model/graph.ts';
import { LoweringError } from '../kernels/lowering.ts';
import { runsOnHost } from '../model/inspect.ts';
import { prepareReference, type PreparedReference, type RequantizationMode } from '../reference/run.ts';

export interface HostTail {
  /** Tensors the tail reads from the GPU program's results (non-constant inputs of host ops). */
  reads: number[];
  /** Tensors the host ops write. */
  writes: ReadonlySet<number>;
  prepared: PreparedReference;
}

export interface SplitGraph {
  /** The GPU part: every op but the host ops; outputs the graph's own plus what the tail reads. */
  gpu: Graph;
  tail?: HostTail;
}

/**
 * Splits off the host ops. A GPU op that reads (directly or through other ops) what a host op
 * writes would need a second submission, so it is refused, naming both.
 * @throws LoweringError for such a graph.
 */
export function splitHostTail(graph: Graph, requantization: RequantizationMode): SplitGraph {
  const hostOps: OpIR[] = [];
  const gpuOps: OpIR[] = [];
  const writtenBy = new Map<number, OpIR>();
  for (const op of graph.ops) {
    if (runsOnHost(graph, op)) {
      hostOps.push(op);
      for (const id of op.outputs) writtenBy.set(id, op);
      continue;
    }
    for (const id of op.inputs) {
      const host = writtenBy.get(id);
      if (host) {
        throw new LoweringError(
          `${op.type} (${operatorName(op)}) reads tensor ${id}, written by ${host.type} (${operatorName(host)}), ` +
            'which runs on the host after the GPU program; Octet runs host ops only at the end of a graph',
        );
      }
    }
    gpuOps.push(op);
  }
  if (hostOps.length === 0) return { gpu: graph };
  const reads: number[] = [];
  for (const op of hostOps) {
    for (const id of op.inputs) {
      if (id < 0 || graph.tensors[id]!.data || writtenBy.has(id) || reads.includes(id)) continue;
      reads.push(id);
    }
  }
  const writes = new Set(writtenBy.keys());
  const gpuOutputs = [...new Set([...graph.outputs.filter((id) => !writes.has(id)), ...reads])];
  const hostGraph: Graph = { ...graph, ops: hostOps, inputs: reads, outputs: graph.outputs.filter((id) => writes.has(id)) };
  return {
    gpu: { ...graph, ops: gpuOps, outputs: gpuOutputs },
    tail: { reads, writes, prepared: prepareReference(hostGraph, { requantization }) },
  };
}
