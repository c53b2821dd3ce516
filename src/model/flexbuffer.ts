// FlexBuffers, the schemaless format TFLite custom ops keep their options in (Operator.
// custom_options): a bounds-checked reader for the one shape custom options take, a map from
// keys to scalars, and a small writer of such maps for the .tflite writer.
//
// The `flatbuffers` package has a FlexBuffers reader, but it trusts every offset (an out-of-range
// one throws a bare RangeError, a self-referencing one recurses) and cannot say which key was
// wrong. This reader checks each offset against the buffer and names the key in every error.
//
// Layout (flexbuffers.h): the buffer ends with the root slot, its packed type and its byte width.
// A packed type is (type << 2) | log2(width). A map is a typed vector of values (length at
// −width, one slot per value, then one packed type byte per value) preceded by the offset and byte
// width of its keys vector; keys are NUL-terminated strings, sorted byte-wise, because readers
// (TFLite's `m["key"]`) look them up by binary search.
import { ModelFormatError } from './errors.ts';

/** FlexBuffers value types (flexbuffers.h `enum Type`), the ones this reader tells apart. */
const FBT = {
  NULL: 0,
  INT: 1,
  UINT: 2,
  FLOAT: 3,
  KEY: 4,
  STRING: 5,
  INDIRECT_INT: 6,
  INDIRECT_UINT: 7,
  INDIRECT_FLOAT: 8,
  MAP: 9,
  VECTOR: 10,
  BLOB: 25,
  BOOL: 26,
  VECTOR_BOOL: 36,
} as const;

/** A map value: a scalar with its number (ints exactly when they fit in 2^53), or the kind of anything else. */
export type FlexValue =
  | { kind: 'null' }
  | { kind: 'int' | 'uint' | 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string' | 'key' | 'map' | 'vector' | 'blob' };

/** Longest key the reader accepts; TFLite's option names are a few dozen bytes. */
const MAX_KEY_BYTES = 255;

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Reads a FlexBuffers map of scalars (keys in stored order). `where` prefixes every error, e.g.
 * "operator 63 (DETECTION_POSTPROCESS) custom_options".
 * @throws ModelFormatError naming the key or the structure that is out of bounds or malformed.
 */
export function readFlexbufferMap(bytes: Uint8Array, where: string): Map<string, FlexValue> {
  const fail = (problem: string): never => {
    throw new ModelFormatError(where, problem);
  };
  const n = bytes.length;
  if (n < 3) fail(`${n} bytes is too short for a FlexBuffer (root slot, type and width take at least 3)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const widthOk = (w: number) => w === 1 || w === 2 || w === 4 || w === 8;
  const inBounds = (pos: number, len: number) => Number.isSafeInteger(pos) && pos >= 0 && len >= 0 && pos + len <= n;
  const readUint = (pos: number, width: number, what: string): number => {
    if (!inBounds(pos, width)) fail(`${what} at byte ${pos} (${width} bytes) is outside the ${n}-byte buffer`);
    switch (width) {
      case 1:
        return view.getUint8(pos);
      case 2:
        return view.getUint16(pos, true);
      case 4:
        return view.getUint32(pos, true);
      default: {
        const v = view.getBigUint64(pos, true);
        // Anything this large cannot be an offset or length inside the buffer; 2^53 keeps it exact.
        return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
      }
    }
  };
  const readInt = (pos: number, width: number, what: string): number => {
    if (!inBounds(pos, width)) fail(`${what} at byte ${pos} (${width} bytes) is outside the ${n}-byte buffer`);
    switch (width) {
      case 1:
        return view.getInt8(pos);
      case 2:
        return view.getInt16(pos, true);
      case 4:
        return view.getInt32(pos, true);
      default:
        return Number(view.getBigInt64(pos, true));
    }
  };
  const readFloat = (pos: number, width: number, what: string): number => {
    if (width !== 4 && width !== 8) fail(`${what} is a ${width}-byte float (FlexBuffers floats are 4 or 8 bytes)`);
    if (!inBounds(pos, width)) fail(`${what} at byte ${pos} (${width} bytes) is outside the ${n}-byte buffer`);
    return width === 4 ? view.getFloat32(pos, true) : view.getFloat64(pos, true);
  };
  /** The position an offset slot points back to (FlexBuffers offsets always point backwards). */
  const follow = (slot: number, width: number, what: string): number => {
    const target = slot - readUint(slot, width, what);
    if (target < 0) fail(`${what} at byte ${slot} points before the start of the buffer`);
    return target;
  };

  const rootWidth = bytes[n - 1]!;
  if (!widthOk(rootWidth)) fail(`root byte width ${rootWidth} is not 1, 2, 4 or 8`);
  const rootType = bytes[n - 2]!;
  const rootSlot = n - 2 - rootWidth;
  if (rootSlot < 0) fail(`root slot of ${rootWidth} bytes does not fit in ${n} bytes`);
  if (rootType >> 2 !== FBT.MAP) fail(`the root is of FlexBuffers type ${rootType >> 2}, not a map (type ${FBT.MAP})`);
  const width = 1 << (rootType & 3);
  const data = follow(rootSlot, rootWidth, 'the root map offset');
  const length = readUint(data - width, width, 'the map length');
  const keysSlot = data - 3 * width;
  const keysWidth = readUint(data - 2 * width, width, 'the keys byte width');
  if (!widthOk(keysWidth)) fail(`keys byte width ${keysWidth} is not 1, 2, 4 or 8`);
  const keys = follow(keysSlot, width, 'the keys vector offset');
  const keyCount = readUint(keys - keysWidth, keysWidth, 'the keys vector length');
  if (keyCount !== length) fail(`the map has ${length} values but ${keyCount} keys`);
  if (!inBounds(data, length * width + length)) fail(`the map's ${length} values and their types overrun the ${n}-byte buffer`);
  if (!inBounds(keys, length * keysWidth)) fail(`the map's ${length} keys overrun the ${n}-byte buffer`);

  const out = new Map<string, FlexValue>();
  let previous: Uint8Array | undefined;
  for (let i = 0; i < length; i++) {
    const keyStart = follow(keys + i * keysWidth, keysWidth, `key ${i} offset`);
    let end = keyStart;
    while (end < n && bytes[end] !== 0 && end - keyStart <= MAX_KEY_BYTES) end++;
    if (end >= n || bytes[end] !== 0) fail(`key ${i} at byte ${keyStart} is not NUL-terminated within ${MAX_KEY_BYTES} bytes`);
    const keyBytes = bytes.subarray(keyStart, end);
    const key = utf8.decode(keyBytes);
    if (previous && compareBytes(previous, keyBytes) >= 0) {
      fail(`key '${key}' is not after '${utf8.decode(previous)}': keys must be sorted and unique (TFLite finds them by binary search)`);
    }
    previous = keyBytes;
    const packed = bytes[data + length * width + i]!;
    const type = packed >> 2;
    const childWidth = 1 << (packed & 3);
    const slot = data + i * width;
    const what = `'${key}'`;
    let value: FlexValue;
    switch (type) {
      case FBT.NULL:
        value = { kind: 'null' };
        break;
      case FBT.INT:
        value = { kind: 'int', value: readInt(slot, width, what) };
        break;
      case FBT.UINT:
        value = { kind: 'uint', value: readUint(slot, width, what) };
        break;
      case FBT.FLOAT:
        value = { kind: 'float', value: readFloat(slot, width, what) };
        break;
      case FBT.BOOL:
        value = { kind: 'bool', value: readUint(slot, width, what) !== 0 };
        break;
      case FBT.INDIRECT_INT:
        value = { kind: 'int', value: readInt(follow(slot, width, what), childWidth, what) };
        break;
      case FBT.INDIRECT_UINT:
        value = { kind: 'uint', value: readUint(follow(slot, width, what), childWidth, what) };
        break;
      case FBT.INDIRECT_FLOAT:
        value = { kind: 'float', value: readFloat(follow(slot, width, what), childWidth, what) };
        break;
      case FBT.KEY:
        value = { kind: 'key' };
        break;
      case FBT.STRING:
        value = { kind: 'string' };
        break;
      case FBT.MAP:
        value = { kind: 'map' };
        break;
      case FBT.BLOB:
        value = { kind: 'blob' };
        break;
      default:
        // The typed vectors (VECTOR … VECTOR_FLOAT4, VECTOR_BOOL); 15 is the deprecated VECTOR_STRING.
        if ((type >= FBT.VECTOR && type <= 24) || type === FBT.VECTOR_BOOL) value = { kind: 'vector' };
        else return fail(`${what} has FlexBuffers type ${type}, which is not a known type`);
    }
    out.set(key, value);
  }
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const m = Math.min(a.length, b.length);
  for (let i = 0; i < m; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** A scalar for the writer: integers as INT, other numbers as FLOAT (64-bit), booleans as BOOL. */
export type FlexScalar = number | boolean | { float: number };

/**
 * Encodes a map of scalars as a FlexBuffer with 8-byte slots (valid for every reader; the
 * converter packs tighter). Integers are written as INT, `{ float: x }` and non-integers as FLOAT
 * (float64), booleans as BOOL. Keys are sorted as readers require.
 */
export function encodeFlexbufferMap(entries: Record<string, FlexScalar>): Uint8Array {
  const enc = new TextEncoder();
  const keys = Object.keys(entries).sort((a, b) => compareBytes(enc.encode(a), enc.encode(b)));
  const parts: number[] = [];
  const keyAt: number[] = [];
  for (const k of keys) {
    keyAt.push(parts.length);
    parts.push(...enc.encode(k), 0);
  }
  const align8 = () => {
    while (parts.length % 8 !== 0) parts.push(0);
  };
  const push64 = (write: (v: DataView) => void) => {
    const b = new DataView(new ArrayBuffer(8));
    write(b);
    for (let i = 0; i < 8; i++) parts.push(b.getUint8(i));
  };
  align8();
  // Keys vector: length, then one offset per key back to its string.
  push64((v) => v.setBigUint64(0, BigInt(keys.length), true));
  const keysVector = parts.length;
  keys.forEach((_, i) => {
    const slot = parts.length;
    push64((v) => v.setBigUint64(0, BigInt(slot - keyAt[i]!), true));
  });
  // Map: keys vector offset, keys width, length, values, types.
  const keysSlot = parts.length;
  push64((v) => v.setBigUint64(0, BigInt(keysSlot - keysVector), true));
  push64((v) => v.setBigUint64(0, 8n, true));
  push64((v) => v.setBigUint64(0, BigInt(keys.length), true));
  const mapData = parts.length;
  const types: number[] = [];
  for (const k of keys) {
    const x = entries[k]!;
    if (typeof x === 'boolean') {
      push64((v) => v.setBigUint64(0, x ? 1n : 0n, true));
      types.push((FBT.BOOL << 2) | 3);
    } else if (typeof x === 'number' && Number.isSafeInteger(x)) {
      push64((v) => v.setBigInt64(0, BigInt(x), true));
      types.push((FBT.INT << 2) | 3);
    } else {
      const f = typeof x === 'number' ? x : x.float;
      push64((v) => v.setFloat64(0, f, true));
      types.push((FBT.FLOAT << 2) | 3);
    }
  }
  parts.push(...types);
  // Root: an 8-byte offset back to the map, its packed type (MAP, 8-byte slots), the root width.
  align8();
  const rootSlot = parts.length;
  push64((v) => v.setBigUint64(0, BigInt(rootSlot - mapData), true));
  parts.push((FBT.MAP << 2) | 3, 8);
  return Uint8Array.from(parts);
}
