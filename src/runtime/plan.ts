// Execution plan, built once at load: which tensors need GPU buffers, when each is live, and a
// buffer assignment that reuses memory across tensors whose lifetimes do not overlap, so
// activation memory is the peak of what is live rather than the sum of every tensor. A tensor
// that aliases another (a reshape that keeps the bytes; see AliasSpec) shares its buffer: the
// alias group is one buffer, live from its first member's producer to its last member's reader.
// A concatenation input written in place (PlacementSpec) aliases the concatenation's output the
// same way, though it is smaller: the group's buffer takes its largest member's size, and it is
// live from the first placed producer on.
import type { Graph } from '../model/graph.ts';
import { gpuByteLength } from '../kernels/layout.ts';

export interface BufferSlot {
  index: number;
  bytes: number;
  tensors: number[];
}

export interface Plan {
  /** tensor id → slot index, for every activation (non-constant) tensor; an alias's is its source's. */
  slotOf: Map<number, number>;
  /** alias tensor id → the tensor that owns the bytes (resolved through chains of aliases). */
  aliasRoot: Map<number, number>;
  slots: BufferSlot[];
  /** Bytes of all activation slots together (what is allocated). */
  activationBytes: number;
  /** Bytes if every activation, aliases included, had its own buffer (what reuse saved, for reports). */
  unsharedBytes: number;
}

/** Live range [first, last] per activation tensor in op positions; graph inputs start at −1. */
export function liveRanges(graph: Graph): Map<number, [number, number]> {
  const ranges = new Map<number, [number, number]>();
  const end = graph.ops.length;
  for (const id of graph.inputs) ranges.set(id, [-1, -1]);
  graph.ops.forEach((op, pos) => {
    for (const id of op.inputs) {
      if (id < 0 || graph.tensors[id]?.data) continue;
      const r = ranges.get(id);
      if (r) r[1] = Math.max(r[1], pos);
    }
    for (const id of op.outputs) if (!ranges.has(id)) ranges.set(id, [pos, pos]);
  });
  // Inputs and outputs keep their own buffers for the whole run: inputs are written before the
  // first dispatch and outputs are read after the last.
  for (const id of graph.inputs) ranges.get(id)![1] = end;
  for (const id of graph.outputs) {
    const r = ranges.get(id);
    if (r) r[1] = end;
  }
  return ranges;
}

/**
 * Buffer slots for `graph`'s activations. `aliases` maps a tensor to the tensor whose buffer it
 * shares (an op's output to its input); both must be activations.
 */
export function planBuffers(graph: Graph, aliases: ReadonlyMap<number, number> = new Map()): Plan {
  const ranges = liveRanges(graph);
  const aliasRoot = new Map<number, number>();
  const rootOf = (id: number): number => {
    let root = id;
    for (let hops = 0; aliases.has(root); hops++) {
      if (hops > aliases.size) throw new Error(`tensor ${id}: its aliases form a cycle`);
      root = aliases.get(root)!;
    }
    return root;
  };
  // One live range per group: the union of its members', so no member's bytes are overwritten
  // while any member is still read (an output aliasing an activation keeps the group to the end).
  const groups = new Map<number, { range: [number, number]; members: number[] }>();
  for (const [id, [first, last]] of ranges) {
    const root = rootOf(id);
    if (!ranges.has(root)) throw new Error(`tensor ${id} aliases tensor ${root}, which has no activation buffer (a constant?)`);
    if (root !== id) aliasRoot.set(id, root);
    const g = groups.get(root);
    if (!g) groups.set(root, { range: [first, last], members: [id] });
    else {
      g.range[0] = Math.min(g.range[0], first);
      g.range[1] = Math.max(g.range[1], last);
      g.members.push(id);
    }
  }
  for (const id of aliases.keys()) {
    if (!ranges.has(id)) throw new Error(`tensor ${id} is an alias but no activation (a constant, or not in the graph)`);
  }
  const placed = [...groups.entries()].map(([root, { range, members }]) => ({ root, range, members, bytes: Math.max(...members.map((id) => gpuByteLength(graph.tensors[id]!))) }));
  const unsharedBytes = [...ranges.keys()].reduce((a, id) => a + gpuByteLength(graph.tensors[id]!), 0);
  // Two greedy orders, the smaller plan kept (definition order on a tie): neither wins on every
  // model. Definition order is smaller on MobileNet v1, BlazeFace and COCO SSD MobileNet v1;
  // largest first on MobileNet v2 (2,308,096 → 2,032,128 bytes), MoveNet and DeepLab v3. Each is
  // a few milliseconds at load.
  const byDefinition = (a: Placed, b: Placed) => a.range[0] - b.range[0] || a.root - b.root;
  const bySize = (a: Placed, b: Placed) => b.bytes - a.bytes || byDefinition(a, b);
  let slots: BufferSlot[] | undefined;
  for (const order of [byDefinition, bySize]) {
    const candidate = assignSlots([...placed].sort(order));
    if (!slots || totalBytes(candidate) < totalBytes(slots)) slots = candidate;
  }
  const slotOf = new Map<number, number>();
  for (const slot of slots!) for (const id of slot.tensors) slotOf.set(id, slot.index);
  return { slotOf, aliasRoot, slots: slots!, activationBytes: totalBytes(slots!), unsharedBytes };
}

const totalBytes = (slots: readonly BufferSlot[]): number => slots.reduce((a, s) => a + s.bytes, 0);

interface Placed {
  root: number;
  range: [number, number];
  members: number[];
  bytes: number;
}

/**
 * Slots for alias groups taken in `order`: each takes the smallest slot free for its whole range
 * that fits (growing none), else the largest free one grown to size, else a new slot. A slot is
 * free for a range when no group already in it is live at any position of it: a kernel never
 * writes the buffer it reads, so a group produced by the op that last reads another cannot share.
 */
function assignSlots(order: readonly Placed[]): BufferSlot[] {
  const slots: BufferSlot[] = [];
  const busy: Array<Array<[number, number]>> = [];
  for (const { range: [first, last], members, bytes } of order) {
    let best = -1;
    for (let s = 0; s < slots.length; s++) {
      if (busy[s]!.some(([f, l]) => f <= last && first <= l)) continue;
      if (best < 0) best = s;
      const fits = slots[s]!.bytes >= bytes;
      const bestFits = slots[best]!.bytes >= bytes;
      if (fits && (!bestFits || slots[s]!.bytes < slots[best]!.bytes)) best = s;
      else if (!fits && !bestFits && slots[s]!.bytes > slots[best]!.bytes) best = s;
    }
    if (best < 0) {
      best = slots.length;
      slots.push({ index: best, bytes, tensors: [] });
      busy.push([]);
    }
    slots[best]!.bytes = Math.max(slots[best]!.bytes, bytes);
    busy[best]!.push([first, last]);
    slots[best]!.tensors.push(...members);
  }
  return slots;
}
