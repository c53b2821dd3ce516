// Mutation strategies over seed models. Every mutation is plain data (a recipe), so a failing input
// can be replayed exactly: from its bytes when the seed is Octet-made, or from seed path + recipe
// when the seed is a shared asset model. Strategies aim at the flatbuffer structure found by
// mapTflite (offsets, vtables, vector lengths, shapes, buffer indices, op tensor indices, op codes,
// options, quantization); blind strategies (truncation, byte flips, hostile words, splices) cover
// what the map does not know about.
import { OPTIONS_FIELD_WIDTHS, type FbVector, type TfliteMap } from './flatbuffer-map.ts';

/** One edit. Positions are absolute in the seed; writes past the current end are ignored. */
export type Mutation =
  | { op: 'u8'; pos: number; value: number }
  | { op: 'u16'; pos: number; value: number }
  | { op: 'u32'; pos: number; value: number }
  | { op: 'truncate'; length: number }
  /** Replaces `remove` bytes at `pos` with `insert` (hex); shifts everything after it. */
  | { op: 'splice'; pos: number; remove: number; insert: string };

export interface Step {
  strategy: string;
  note: string;
  mutations: Mutation[];
}

export interface Recipe {
  seed: string;
  seedSha256: string;
  steps: Step[];
}

const toHex = (b: ArrayLike<number>) => Array.from(b, (x) => (x & 0xff).toString(16).padStart(2, '0')).join('');
const fromHex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

/** Applies the steps in order to a copy of `seed`. */
export function applyRecipe(seed: Uint8Array, steps: readonly Step[]): Uint8Array {
  let b = seed.slice();
  for (const step of steps) {
    for (const m of step.mutations) {
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      switch (m.op) {
        case 'u8':
          if (m.pos >= 0 && m.pos < b.length) b[m.pos] = m.value & 0xff;
          break;
        case 'u16':
          if (m.pos >= 0 && m.pos + 2 <= b.length) dv.setUint16(m.pos, m.value & 0xffff, true);
          break;
        case 'u32':
          if (m.pos >= 0 && m.pos + 4 <= b.length) dv.setUint32(m.pos, m.value >>> 0, true);
          break;
        case 'truncate':
          b = b.slice(0, Math.max(0, Math.min(b.length, m.length)));
          break;
        case 'splice': {
          const pos = Math.min(Math.max(0, m.pos), b.length);
          const ins = fromHex(m.insert);
          const out = new Uint8Array(b.length - Math.min(m.remove, b.length - pos) + ins.length);
          out.set(b.subarray(0, pos), 0);
          out.set(ins, pos);
          out.set(b.subarray(Math.min(b.length, pos + m.remove)), pos + ins.length);
          b = out;
          break;
        }
      }
    }
  }
  return b;
}

// ---- Values -------------------------------------------------------------------------------------

/** Hostile 32-bit values: zero, sign bit, all ones, lengths whose ×4/×8 overflow 2^32, etc. */
export const HOSTILE_U32: readonly number[] = [
  0, 1, 2, 3, 4, 7, 8, 0xff, 0xffff, 0x10000, 0x20000000, 0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000,
  0x80000001, 0xfffffffc, 0xfffffff8, 0xfffffffe, 0xffffffff,
];
/** Shape dimensions: absurd, zero, negative, off by one. */
const HOSTILE_DIMS: readonly number[] = [0, -1, -2, 0x7fffffff, -0x80000000, 0x10000, 46341, 65535, 1 << 30];
/** Tensor indices relative to a count n. */
const hostileIndex = (n: number) => [-1, -2, n, n + 1, 0x7fffffff, -0x80000000, 0x80000000 + n];
/** Op codes outside Octet's set: unknown numbers, CUSTOM, placeholder, negative. */
const HOSTILE_OPCODES: readonly number[] = [5, 7, 32, 117, 126, 127, 150, 206, 225, 255, 1000, 0x7fffffff, -1, -128];
const SUPPORTED_OPCODES: readonly number[] = [0, 1, 2, 3, 4, 6, 9, 14, 17, 18, 19, 21, 22, 25, 34, 39, 40, 43, 114];

// ---- Generation ---------------------------------------------------------------------------------

export interface GenContext {
  rng: () => number;
  seed: Uint8Array;
  map: TfliteMap;
}

type Strategy = (c: GenContext) => Step | null;

const pick = <T>(rng: () => number, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const int = (rng: () => number, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const elemPos = (v: FbVector, i: number) => v.lengthPos + 4 + v.elemSize * i;
/** A list length: mostly short, sometimes long. */
const tensorsLike = (rng: () => number) => (rng() < 0.8 ? int(rng, 0, 6) : int(rng, 7, 80));
const readI32 = (b: Uint8Array, p: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).getInt32(p, true);

function step(strategy: string, note: string, mutations: Mutation[]): Step {
  return { strategy, note, mutations };
}

/** A value near or at something that matters in this file: structure starts, the end, beyond it. */
function interestingTarget(c: GenContext): number {
  const { rng, map } = c;
  const r = rng();
  if (r < 0.3 && map.tables.length) return pick(rng, map.tables).pos + pick(rng, [0, 0, 0, 2, 4, -4]);
  if (r < 0.5 && map.tables.length) return pick(rng, map.tables).vtable;
  if (r < 0.7 && map.vectors.length) return pick(rng, map.vectors).lengthPos + pick(rng, [0, 0, 4, 1]);
  return pick(rng, [0, 4, 8, map.size - 4, map.size - 1, map.size, map.size + 4, int(rng, 0, map.size)]);
}

const strategies: Record<string, { weight: number; gen: Strategy; lengthChanging?: boolean }> = {
  truncate: {
    weight: 6,
    lengthChanging: true,
    gen: ({ rng, map }) => {
      // Half at a structure boundary, half anywhere.
      const cut = rng() < 0.5 && map.vectors.length ? pick(rng, map.vectors).lengthPos + int(rng, 0, 8) : int(rng, 0, map.size - 1);
      return step('truncate', `to ${cut} bytes`, [{ op: 'truncate', length: cut }]);
    },
  },
  byteFlips: {
    weight: 8,
    gen: ({ rng, seed }) => {
      const n = int(rng, 1, 8);
      const ms: Mutation[] = [];
      for (let i = 0; i < n; i++) {
        const pos = int(rng, 0, seed.length - 1);
        ms.push({ op: 'u8', pos, value: rng() < 0.5 ? seed[pos]! ^ (1 << int(rng, 0, 7)) : int(rng, 0, 255) });
      }
      return step('byteFlips', `${n} bytes`, ms);
    },
  },
  hostileWord: {
    weight: 8,
    gen: (c) => {
      const { rng, seed, map } = c;
      const n = int(rng, 1, 3);
      const ms: Mutation[] = [];
      for (let i = 0; i < n; i++) {
        const pos = 4 * int(rng, 0, Math.floor(seed.length / 4) - 1);
        const value = rng() < 0.7 ? pick(rng, HOSTILE_U32) : rng() < 0.5 ? map.size + int(rng, -8, 8) : interestingTarget(c) - pos;
        ms.push({ op: 'u32', pos, value });
      }
      return step('hostileWord', ms.map((m) => `@${(m as { pos: number }).pos}=${(m as { value: number }).value >>> 0}`).join(' '), ms);
    },
  },
  redirectOffset: {
    weight: 10,
    gen: (c) => {
      const { rng, map } = c;
      if (!map.offsets.length) return null;
      const slot = pick(rng, map.offsets);
      const r = rng();
      let target: number;
      if (r < 0.6) target = interestingTarget(c);
      else if (r < 0.8) target = slot.pos; // points at itself
      else target = slot.target + pick(rng, [1, 2, 3, -4, 4, 8]);
      return step('redirectOffset', `${slot.kind} @${slot.pos} → ${target}`, [{ op: 'u32', pos: slot.pos, value: target - slot.pos }]);
    },
  },
  vtable: {
    weight: 8,
    gen: (c) => {
      const { rng, map } = c;
      if (!map.tables.length) return null;
      const t = pick(rng, map.tables);
      const r = rng();
      if (r < 0.25) {
        // The table's soffset: another vtable, outside the file, itself.
        const other = pick(rng, map.tables).vtable;
        const soffset = pick(rng, [t.pos - other, t.pos + 4, -map.size, 0x7fffffff, -0x80000000, 0, 4, t.pos - map.size]);
        return step('vtable', `${t.kind} @${t.pos} soffset → ${soffset}`, [{ op: 'u32', pos: t.pos, value: soffset }]);
      }
      if (r < 0.5) {
        const which = rng() < 0.5 ? 0 : 2;
        const value = pick(rng, [0, 1, 2, 3, 4, 5, 0xffff, 0xfffe, t.vtableSize + 2, t.inlineSize + 4, 0x8000]);
        return step('vtable', `${t.kind} ${which ? 'inline size' : 'vtable size'} → ${value}`, [{ op: 'u16', pos: t.vtable + which, value }]);
      }
      // A field entry: missing, past the inline size, odd, inside the soffset.
      const ids = [...t.fields.keys()];
      const id = ids.length && rng() < 0.8 ? pick(rng, ids) : int(rng, 0, (t.vtableSize - 6) / 2);
      if (4 + 2 * id + 2 > t.vtableSize) return null;
      const value = pick(rng, [0, 0, 1, 2, 3, t.inlineSize, t.inlineSize - 1, t.inlineSize - 3, 0xffff, 5]);
      return step('vtable', `${t.kind} field ${id} → table offset ${value}`, [{ op: 'u16', pos: t.vtable + 4 + 2 * id, value }]);
    },
  },
  vectorLength: {
    weight: 10,
    gen: ({ rng, map }) => {
      if (!map.vectors.length) return null;
      const v = pick(rng, map.vectors);
      const value = pick(rng, [0, v.length + 1, Math.max(0, v.length - 1), v.length * 2 + 1, ...HOSTILE_U32.slice(9)]);
      return step('vectorLength', `${v.kind} length ${v.length} → ${value >>> 0}`, [{ op: 'u32', pos: v.lengthPos, value }]);
    },
  },
  bufferIndex: {
    weight: 6,
    gen: ({ rng, map }) => {
      const withField = map.tensors.filter((t) => t.table.fields.has(2));
      if (!withField.length) return null;
      const t = pick(rng, withField);
      const n = map.buffers.length;
      const dataBuffers = map.buffers.map((b, i) => (b.data?.length ? i : -1)).filter((i) => i > 0);
      const value = rng() < 0.5 ? pick(rng, [n, n + 1, 0xffffffff, 0x80000000, 0x7fffffff, 0]) : dataBuffers.length ? pick(rng, dataBuffers) : n;
      return step('bufferIndex', `tensor ${map.tensors.indexOf(t)} buffer ${t.bufferIndex} → ${value >>> 0}`, [{ op: 'u32', pos: t.table.fields.get(2)!, value }]);
    },
  },
  shapeDim: {
    weight: 10,
    gen: ({ rng, map, seed }) => {
      const shaped = map.tensors.filter((t) => t.shape && t.shape.length > 0);
      if (!shaped.length) return null;
      const t = pick(rng, shaped);
      const shape = t.shape!;
      const ms: Mutation[] = [];
      const n = rng() < 0.7 ? 1 : int(rng, 2, shape.length);
      for (let k = 0; k < n; k++) {
        const i = int(rng, 0, shape.length - 1);
        const old = readI32(seed, elemPos(shape, i));
        const value = rng() < 0.6 ? pick(rng, HOSTILE_DIMS) : pick(rng, [old + 1, old - 1, old * 2, 1]);
        ms.push({ op: 'u32', pos: elemPos(shape, i), value });
      }
      // Sometimes the rank changes too (shape vector shorter: the data no longer matches).
      if (rng() < 0.2) ms.push({ op: 'u32', pos: shape.lengthPos, value: int(rng, 0, shape.length) });
      return step('shapeDim', `tensor ${map.tensors.indexOf(t)} (data ${t.dataLength} B)`, ms);
    },
  },
  tensorType: {
    weight: 4,
    gen: ({ rng, map }) => {
      const typed = map.tensors.filter((t) => t.table.fields.has(1));
      if (!typed.length) return null;
      const t = pick(rng, typed);
      const value = rng() < 0.6 ? int(rng, 0, 17) : pick(rng, [18, 100, 127, 128, 255]);
      return step('tensorType', `tensor ${map.tensors.indexOf(t)} type → ${value}`, [{ op: 'u8', pos: t.table.fields.get(1)!, value }]);
    },
  },
  opTensorIndex: {
    weight: 10,
    gen: ({ rng, map }) => {
      const ops = map.operators.filter((o) => (o.inputs?.length ?? 0) + (o.outputs?.length ?? 0) > 0);
      if (!ops.length) return null;
      const oi = int(rng, 0, ops.length - 1);
      const o = ops[oi]!;
      const n = map.tensors.length;
      const useInput = o.inputs && o.inputs.length && (rng() < 0.7 || !o.outputs?.length);
      const v = (useInput ? o.inputs : o.outputs)!;
      const i = int(rng, 0, v.length - 1);
      const later = map.operators.slice(map.operators.indexOf(o)).flatMap((x) => x.outputIds);
      let value: number;
      const r = rng();
      if (useInput && r < 0.4 && later.length) value = pick(rng, later); // a cycle, or a read before the write
      else if (r < 0.7) value = pick(rng, hostileIndex(n));
      else value = int(rng, 0, Math.max(0, n - 1)); // another tensor: twice written, a constant overwritten, ...
      return step(
        'opTensorIndex',
        `operator ${map.operators.indexOf(o)} ${useInput ? 'input' : 'output'} ${i} → ${value}`,
        [{ op: 'u32', pos: elemPos(v, i), value }],
      );
    },
  },
  graphIO: {
    weight: 4,
    gen: ({ rng, map }) => {
      const v = rng() < 0.5 ? map.vec.inputs : map.vec.outputs;
      if (!v) return null;
      if (v.length === 0 || rng() < 0.3) return step('graphIO', `${v.kind} emptied`, [{ op: 'u32', pos: v.lengthPos, value: 0 }]);
      const n = map.tensors.length;
      const value = rng() < 0.5 ? pick(rng, hostileIndex(n)) : int(rng, 0, Math.max(0, n - 1));
      const i = int(rng, 0, v.length - 1);
      return step('graphIO', `${v.kind}[${i}] → ${value}`, [{ op: 'u32', pos: elemPos(v, i), value }]);
    },
  },
  opcode: {
    weight: 8,
    gen: ({ rng, map }) => {
      if (!map.opcodes.length) return null;
      const c = pick(rng, map.opcodes);
      const r = rng();
      const code = r < 0.6 ? pick(rng, HOSTILE_OPCODES) : pick(rng, SUPPORTED_OPCODES); // supported: options type confusion
      const ms: Mutation[] = [];
      const dep = c.fields.get(0);
      const ext = c.fields.get(3);
      if (dep !== undefined) ms.push({ op: 'u8', pos: dep, value: rng() < 0.8 ? Math.min(Math.max(code, -128), 127) : 127 });
      if (ext !== undefined) ms.push({ op: 'u32', pos: ext, value: code });
      const ver = c.fields.get(2);
      if (ver !== undefined && rng() < 0.2) ms.push({ op: 'u32', pos: ver, value: pick(rng, [0, -1, 0x7fffffff, 1000]) });
      if (!ms.length) return null;
      return step('opcode', `operator code ${map.opcodes.indexOf(c)} → ${code}`, ms);
    },
  },
  opcodesEmpty: {
    weight: 2,
    gen: ({ rng, map }) => {
      const v = map.vec.opcodes;
      if (!v) return null;
      const field = map.root?.fields.get(1);
      if (rng() < 0.5 || field === undefined || !map.root) return step('opcodesEmpty', 'operator_codes length → 0', [{ op: 'u32', pos: v.lengthPos, value: 0 }]);
      return step('opcodesEmpty', 'operator_codes field removed', [{ op: 'u16', pos: map.root.vtable + 4 + 2 * 1, value: 0 }]);
    },
  },
  opcodeIndex: {
    weight: 4,
    gen: ({ rng, map }) => {
      if (!map.operators.length) return null;
      const o = pick(rng, map.operators);
      const n = map.opcodes.length;
      const value = pick(rng, [n, n + 1, 0xffffffff, 0x80000000, 0, Math.max(0, n - 1)]);
      const field = o.table.fields.get(0);
      if (field === undefined) {
        // Absent (index 0 is the default): point a present field elsewhere instead.
        return step('opcodeIndex', `operator ${map.operators.indexOf(o)} field 0 made to alias field 1`, [
          { op: 'u16', pos: o.table.vtable + 4, value: o.table.fields.get(1)! - o.table.pos || 0 },
        ]);
      }
      return step('opcodeIndex', `operator ${map.operators.indexOf(o)} opcode_index → ${value >>> 0}`, [{ op: 'u32', pos: field, value }]);
    },
  },
  options: {
    weight: 8,
    gen: ({ rng, map }) => {
      const ops = map.operators;
      if (!ops.length) return null;
      const o = pick(rng, ops);
      const tagPos = o.table.fields.get(3);
      if (rng() < 0.35 || !o.options) {
        if (tagPos === undefined) return null;
        const value = rng() < 0.7 ? pick(rng, [0, 1, 2, 5, 8, 9, 10, 11, 17, 21, 27, 30]) : int(rng, 0, 255);
        return step('options', `operator ${ops.indexOf(o)} options tag ${o.optionsTag} → ${value}`, [{ op: 'u8', pos: tagPos, value }]);
      }
      const widths = OPTIONS_FIELD_WIDTHS[o.optionsTag] ?? [];
      const ids = [...o.options.fields.keys()].filter((id) => widths[id] !== undefined && widths[id] !== 0);
      if (!ids.length) return null;
      const id = pick(rng, ids);
      const pos = o.options.fields.get(id)!;
      if (widths[id] === 1) {
        const value = pick(rng, [0, 1, 2, 3, 5, 6, 7, 127, 128, 255]);
        return step('options', `operator ${ops.indexOf(o)} options field ${id} → ${value}`, [{ op: 'u8', pos, value }]);
      }
      const value = pick(rng, [0, -1, -0x80000000, 0x7fffffff, 2, 1000, 0x7fc00000 /* NaN as float */, 0xff800000 /* -inf */]);
      return step('options', `operator ${ops.indexOf(o)} options field ${id} → ${value}`, [{ op: 'u32', pos, value }]);
    },
  },
  quantization: {
    weight: 6,
    gen: ({ rng, map }) => {
      const quantized = map.tensors.filter((t) => t.quant);
      if (!quantized.length) return null;
      const t = pick(rng, quantized);
      const q = t.quant!;
      const which = `tensor ${map.tensors.indexOf(t)}`;
      const r = rng();
      if (r < 0.3 && q.scale?.length) {
        const bits = pick(rng, [0x7fc00000, 0x7f800000, 0xbf800000, 0x80000000, 0x00000001, 0, 0x7f7fffff]);
        return step('quantization', `${which} scale[0] bits → ${bits.toString(16)}`, [{ op: 'u32', pos: elemPos(q.scale, 0), value: bits }]);
      }
      if (r < 0.5 && q.zeroPoint?.length) {
        const p = elemPos(q.zeroPoint, int(rng, 0, q.zeroPoint.length - 1));
        const [lo, hi] = pick(rng, [[0, 1], [0x80000000, 0], [0x7fffffff, 0xffffffff], [0xffffffff, 0x7fffffff], [0, 0x80000000]] as const);
        return step('quantization', `${which} zero point → ${hi.toString(16)}:${lo.toString(16)}`, [
          { op: 'u32', pos: p, value: lo },
          { op: 'u32', pos: p + 4, value: hi },
        ]);
      }
      if (r < 0.7 && q.scale && q.zeroPoint) {
        const v = rng() < 0.5 ? q.scale : q.zeroPoint;
        return step('quantization', `${which} ${v.kind} length → ${Math.max(0, v.length - 1)}`, [{ op: 'u32', pos: v.lengthPos, value: Math.max(0, v.length - 1) }]);
      }
      const dimPos = q.table.fields.get(6);
      if (dimPos !== undefined && rng() < 0.6) {
        const value = pick(rng, [-1, 4, 99, 0x7fffffff, -0x80000000, 0, 1, 2, 3]);
        return step('quantization', `${which} quantized_dimension → ${value}`, [{ op: 'u32', pos: dimPos, value }]);
      }
      // details_type: there is no such field in Octet's files; point the vtable entry at an inline byte.
      const slot = 4 + 2 * 4;
      if (slot + 2 <= q.table.vtableSize) {
        return step('quantization', `${which} details_type made present`, [{ op: 'u16', pos: q.table.vtable + slot, value: 4 }]);
      }
      return null;
    },
  },
  removeField: {
    weight: 5,
    gen: ({ rng, map }) => {
      const withFields = map.tables.filter((t) => t.fields.size > 0);
      if (!withFields.length) return null;
      const t = pick(rng, withFields);
      const id = pick(rng, [...t.fields.keys()]);
      return step('removeField', `${t.kind} @${t.pos} field ${id} removed`, [{ op: 'u16', pos: t.vtable + 4 + 2 * id, value: 0 }]);
    },
  },
  aliasTables: {
    weight: 5,
    gen: ({ rng, map, seed }) => {
      // Point elements of a vector of tables at one (later) table: legal flatbuffers, shared data.
      const vectors = (['tensors', 'operators', 'buffers', 'opcodes', 'subgraphs'] as const)
        .map((k) => map.vec[k])
        .filter((v): v is FbVector => !!v && v.length > 1);
      if (!vectors.length) return null;
      const v = pick(rng, vectors);
      const targets = Array.from({ length: v.length }, (_, i) => elemPos(v, i) + readI32(seed, elemPos(v, i)));
      // Prefer the tensor with the most constant data, the most expensive one to copy.
      let j = int(rng, 0, v.length - 1);
      if (v === map.vec.tensors && rng() < 0.7) {
        j = map.tensors.reduce((best, t, i) => (t.dataLength > (map.tensors[best]?.dataLength ?? -1) ? i : best), 0);
      }
      const ms: Mutation[] = [];
      const all = rng() < 0.5;
      for (let i = 0; i < v.length; i++) {
        if (i === j || (!all && rng() < 0.5)) continue;
        const rel = targets[j]! - elemPos(v, i);
        if (rel > 0) ms.push({ op: 'u32', pos: elemPos(v, i), value: rel });
      }
      if (!ms.length) return null;
      return step('aliasTables', `${ms.length} of ${v.kind} → element ${j}`, ms);
    },
  },
  header: {
    weight: 2,
    gen: ({ rng, map }) => {
      const r = rng();
      if (r < 0.4 && map.root?.fields.has(0)) {
        const value = pick(rng, [0, 1, 2, 4, 0xffffffff]);
        return step('header', `schema version → ${value >>> 0}`, [{ op: 'u32', pos: map.root.fields.get(0)!, value }]);
      }
      if (r < 0.7) return step('header', 'identifier byte', [{ op: 'u8', pos: int(rng, 4, 7), value: int(rng, 0, 255) }]);
      return step('header', 'root offset', [{ op: 'u32', pos: 0, value: pick(rng, HOSTILE_U32) }]);
    },
  },
  appendVector: {
    weight: 4,
    lengthChanging: true,
    gen: ({ rng, map, seed }) => {
      // Redirect an [int] field (shape, op or graph tensor list, squeeze dims, new shape) to a
      // vector appended at the end: any rank, any contents (offsets only point forward).
      const slots = map.offsets.filter((o) => /^(tensor\.shape|operator\.(inputs|outputs)|subgraph\.(inputs|outputs)|options\.vector)$/.test(o.kind));
      if (!slots.length) return null;
      const slot = pick(rng, slots);
      const n = tensorsLike(rng);
      const values: number[] = [];
      const r = rng();
      if (slot.kind === 'tensor.shape' && r < 0.4) {
        // Enough huge dims that the product overflows to Infinity, then a zero: Infinity × 0 = NaN.
        for (let i = 0; i < int(rng, 33, 40); i++) values.push(0x7fffffff);
        values.push(0);
        if (rng() < 0.5) values.push(1);
      } else if (slot.kind === 'tensor.shape' && r < 0.6) {
        for (let i = 0; i < n; i++) values.push(pick(rng, [0, 1, 1, 2, 0x7fffffff, 65536]));
      } else {
        const count = Math.max(1, map.tensors.length);
        for (let i = 0; i < n; i++) values.push(rng() < 0.8 ? int(rng, -1, count) : pick(rng, hostileIndex(count)));
      }
      const end = (seed.length + 3) & ~3;
      const bytes = new Uint8Array(end - seed.length + 4 + 4 * values.length);
      const dv = new DataView(bytes.buffer);
      dv.setUint32(end - seed.length, values.length, true);
      values.forEach((v, i) => dv.setInt32(end - seed.length + 4 + 4 * i, v, true));
      return step('appendVector', `${slot.kind} @${slot.pos} → appended [${values.length > 8 ? `${values.slice(0, 8)},… (${values.length})` : values}]`, [
        { op: 'u32', pos: slot.pos, value: end - slot.pos },
        { op: 'splice', pos: seed.length, remove: 0, insert: toHex(bytes) },
      ]);
    },
  },
  splice: {
    weight: 3,
    lengthChanging: true,
    gen: ({ rng, seed }) => {
      const pos = int(rng, 0, seed.length);
      const remove = rng() < 0.5 ? 0 : int(rng, 1, 16);
      const insert = rng() < 0.5 ? '' : toHex(Array.from({ length: int(rng, 1, 16) }, () => int(rng, 0, 255)));
      if (!remove && !insert) return null;
      return step('splice', `@${pos} -${remove} +${insert.length / 2}`, [{ op: 'splice', pos, remove, insert }]);
    },
  },
};

export const STRATEGY_NAMES: readonly string[] = Object.keys(strategies);
const totalWeight = Object.values(strategies).reduce((n, s) => n + s.weight, 0);

function pickStrategy(rng: () => number): string {
  let r = rng() * totalWeight;
  for (const [name, s] of Object.entries(strategies)) {
    r -= s.weight;
    if (r < 0) return name;
  }
  return 'byteFlips';
}

/** One strategy's step, by name (used by the targeted tests); null when it does not apply. */
export function generateStep(name: string, c: GenContext): Step | null {
  const s = strategies[name];
  if (!s) throw new Error(`unknown strategy '${name}'`);
  return s.gen(c);
}

/**
 * 1–3 steps (mostly 1), at most one of them length-changing and that one last, so the positions
 * of the in-place edits (taken from the seed's map) stay meaningful.
 */
export function generateSteps(c: GenContext): Step[] {
  const n = c.rng() < 0.7 ? 1 : c.rng() < 0.7 ? 2 : 3;
  const inPlace: Step[] = [];
  let last: Step | undefined;
  for (let tries = 0; inPlace.length + (last ? 1 : 0) < n && tries < 20; tries++) {
    const name = pickStrategy(c.rng);
    const s = strategies[name]!;
    if (s.lengthChanging && last) continue;
    const st = s.gen(c);
    if (!st || st.mutations.length === 0) continue;
    if (s.lengthChanging) last = st;
    else inPlace.push(st);
  }
  const steps = last ? [...inPlace, last] : inPlace;
  if (steps.length === 0) steps.push(strategies.byteFlips!.gen(c)!);
  return steps;
}
