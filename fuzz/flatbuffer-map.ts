// A raw map of a (valid) TFLite flatbuffer: where its tables, vtables, vectors and offsets are,
// and which bytes hold tensor shapes, buffer indices, op tensor indices, op codes and options.
// Independent of the importer's reader on purpose: the fuzzer aims its mutations with it, so a
// bug in the reader cannot hide the bytes it misreads. Only ever run on seeds (valid files); any
// inconsistency just ends the walk early and the fuzzer falls back to blind mutations.

export interface FbTable {
  kind: string;
  pos: number;
  vtable: number;
  vtableSize: number;
  inlineSize: number;
  /** Field id → absolute position of the field's inline value (present fields only). */
  fields: Map<number, number>;
}

export interface FbVector {
  kind: string;
  /** Position of the uint32 length word; elements start 4 bytes later. */
  lengthPos: number;
  length: number;
  elemSize: number;
}

/** A uoffset slot: a field or vector element that points (forward) to a table, vector or string. */
export interface FbOffset {
  pos: number;
  target: number;
  kind: string;
}

export interface TensorInfo {
  table: FbTable;
  shape?: FbVector;
  bufferIndex: number;
  dataLength: number;
  quant?: { table: FbTable; scale?: FbVector; zeroPoint?: FbVector };
}

export interface OperatorInfo {
  table: FbTable;
  inputs?: FbVector;
  outputs?: FbVector;
  inputIds: number[];
  outputIds: number[];
  optionsTag: number;
  options?: FbTable;
}

export interface TfliteMap {
  size: number;
  root?: FbTable;
  subgraph?: FbTable;
  tables: FbTable[];
  vectors: FbVector[];
  /** Byte ranges of every table body and vector (with its length word) the walk reached. */
  extents: { start: number; end: number; kind: string; table: boolean }[];
  offsets: FbOffset[];
  tensors: TensorInfo[];
  operators: OperatorInfo[];
  opcodes: FbTable[];
  buffers: { table: FbTable; data?: FbVector }[];
  vec: Partial<Record<'opcodes' | 'subgraphs' | 'buffers' | 'tensors' | 'operators' | 'inputs' | 'outputs', FbVector>>;
  /** Set when the walk stopped early (the mutators still use what was found). */
  error?: string;
}

/** Widths of the inline fields of each builtin-options table, by union tag (0 = vector offset). */
export const OPTIONS_FIELD_WIDTHS: Readonly<Record<number, readonly number[]>> = {
  1: [1, 4, 4, 1, 4, 4, 1], // Conv2DOptions
  2: [1, 4, 4, 4, 1, 4, 4], // DepthwiseConv2DOptions
  5: [1, 4, 4, 4, 4, 1], // Pool2DOptions
  8: [1, 1, 1, 1, 1], // FullyConnectedOptions
  9: [4], // SoftmaxOptions
  10: [4, 1], // ConcatenationOptions
  11: [1, 1], // AddOptions
  17: [0], // ReshapeOptions (new_shape vector)
  21: [1], // MulOptions
  27: [1], // ReducerOptions
  30: [0], // SqueezeOptions (squeeze_dims vector)
};

export function mapTflite(bytes: Uint8Array): TfliteMap {
  const m: TfliteMap = {
    size: bytes.length,
    tables: [],
    vectors: [],
    extents: [],
    offsets: [],
    tensors: [],
    operators: [],
    opcodes: [],
    buffers: [],
    vec: {},
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u8 = (p: number) => dv.getUint8(p);
  const u16 = (p: number) => dv.getUint16(p, true);
  const u32 = (p: number) => dv.getUint32(p, true);
  const i32 = (p: number) => dv.getInt32(p, true);
  const check = (p: number, n: number) => {
    if (p < 0 || p + n > bytes.length) throw new Error(`walk left the file at ${p}`);
  };

  const table = (pos: number, kind: string): FbTable => {
    check(pos, 4);
    const vtable = pos - i32(pos);
    check(vtable, 4);
    const vtableSize = u16(vtable);
    const inlineSize = u16(vtable + 2);
    check(vtable, vtableSize);
    check(pos, inlineSize);
    const fields = new Map<number, number>();
    for (let id = 0; 4 + 2 * id + 2 <= vtableSize; id++) {
      const rel = u16(vtable + 4 + 2 * id);
      if (rel) fields.set(id, pos + rel);
    }
    const t: FbTable = { kind, pos, vtable, vtableSize, inlineSize, fields };
    m.tables.push(t);
    m.extents.push({ start: pos, end: pos + inlineSize, kind, table: true });
    return t;
  };
  const ref = (t: FbTable, id: number, kind: string): number | undefined => {
    const p = t.fields.get(id);
    if (p === undefined) return undefined;
    check(p, 4);
    const target = p + u32(p);
    m.offsets.push({ pos: p, target, kind });
    return target;
  };
  const vector = (t: FbTable, id: number, kind: string, elemSize: number): FbVector | undefined => {
    const at = ref(t, id, kind);
    if (at === undefined) return undefined;
    check(at, 4);
    const v: FbVector = { kind, lengthPos: at, length: u32(at), elemSize };
    check(at + 4, v.length * elemSize);
    m.vectors.push(v);
    m.extents.push({ start: at, end: at + 4 + v.length * elemSize, kind, table: false });
    return v;
  };
  const tableVector = (t: FbTable, id: number, kind: string): [FbVector | undefined, FbTable[]] => {
    const v = vector(t, id, `${kind}[]`, 4);
    if (!v) return [undefined, []];
    const out: FbTable[] = [];
    for (let i = 0; i < v.length; i++) {
      const slot = v.lengthPos + 4 + 4 * i;
      const target = slot + u32(slot);
      m.offsets.push({ pos: slot, target, kind });
      out.push(table(target, kind));
    }
    return [v, out];
  };
  const ints = (v: FbVector | undefined) => (v ? Array.from({ length: v.length }, (_, i) => i32(v.lengthPos + 4 + 4 * i)) : []);
  const u32Field = (t: FbTable, id: number, dflt: number) => (t.fields.has(id) ? u32(t.fields.get(id)!) : dflt);

  try {
    check(0, 8);
    m.offsets.push({ pos: 0, target: u32(0), kind: 'root' });
    const root = (m.root = table(u32(0), 'model'));
    vector(root, 3, 'description', 1);
    const [opcodesVec, opcodes] = tableVector(root, 1, 'operator_code');
    m.vec.opcodes = opcodesVec;
    m.opcodes = opcodes;
    for (const c of opcodes) vector(c, 1, 'custom_code', 1);
    const [buffersVec, buffers] = tableVector(root, 4, 'buffer');
    m.vec.buffers = buffersVec;
    m.buffers = buffers.map((b) => ({ table: b, data: vector(b, 0, 'buffer.data', 1) }));
    const [subgraphsVec, subgraphs] = tableVector(root, 2, 'subgraph');
    m.vec.subgraphs = subgraphsVec;
    const sg = (m.subgraph = subgraphs[0]);
    if (!sg) return m;
    vector(sg, 4, 'subgraph.name', 1);
    m.vec.inputs = vector(sg, 1, 'subgraph.inputs', 4);
    m.vec.outputs = vector(sg, 2, 'subgraph.outputs', 4);
    const [tensorsVec, tensors] = tableVector(sg, 0, 'tensor');
    m.vec.tensors = tensorsVec;
    for (const t of tensors) {
      const info: TensorInfo = { table: t, shape: vector(t, 0, 'tensor.shape', 4), bufferIndex: u32Field(t, 2, 0), dataLength: 0 };
      info.dataLength = m.buffers[info.bufferIndex]?.data?.length ?? 0;
      vector(t, 3, 'tensor.name', 1);
      vector(t, 7, 'tensor.shape_signature', 4);
      const qpos = ref(t, 4, 'quantization');
      if (qpos !== undefined) {
        const qt = table(qpos, 'quantization');
        vector(qt, 0, 'quant.min', 4);
        vector(qt, 1, 'quant.max', 4);
        info.quant = { table: qt, scale: vector(qt, 2, 'quant.scale', 4), zeroPoint: vector(qt, 3, 'quant.zero_point', 8) };
      }
      m.tensors.push(info);
    }
    const [operatorsVec, operators] = tableVector(sg, 3, 'operator');
    m.vec.operators = operatorsVec;
    for (const o of operators) {
      const inputs = vector(o, 1, 'operator.inputs', 4);
      const outputs = vector(o, 2, 'operator.outputs', 4);
      const optionsTag = o.fields.has(3) ? u8(o.fields.get(3)!) : 0;
      const info: OperatorInfo = { table: o, inputs, outputs, inputIds: ints(inputs), outputIds: ints(outputs), optionsTag };
      const opos = ref(o, 4, 'builtin_options');
      if (opos !== undefined) {
        info.options = table(opos, `options:${optionsTag}`);
        if (OPTIONS_FIELD_WIDTHS[optionsTag]?.[0] === 0) vector(info.options, 0, 'options.vector', 4);
      }
      vector(o, 5, 'operator.custom_options', 1);
      m.operators.push(info);
    }
  } catch (e) {
    m.error = String(e);
  }
  return m;
}
