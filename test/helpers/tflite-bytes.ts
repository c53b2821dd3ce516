// Raw flatbuffer navigation of .tflite bytes, independent of the importer's reader: tests use it to
// aim corruptions and to rewrite operator codes without going through Octet's own writer.

export const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
/** Absolute position of field `id` of the table at `table`, or 0 if absent. */
export function fieldAt(b: Uint8Array, table: number, id: number): number {
  const v = view(b);
  const vtable = table - v.getInt32(table, true);
  const slot = 4 + 2 * id;
  if (slot >= v.getUint16(vtable, true)) return 0;
  const rel = v.getUint16(vtable + slot, true);
  return rel ? table + rel : 0;
}
export const deref = (b: Uint8Array, pos: number) => pos + view(b).getUint32(pos, true);
export const rootTable = (b: Uint8Array) => deref(b, 0);
/** Position of the length word of the vector in field `id`. */
export function vectorAt(b: Uint8Array, table: number, id: number): number {
  const f = fieldAt(b, table, id);
  if (!f) throw new Error(`test setup: field ${id} absent`);
  return deref(b, f);
}
export const tableInVector = (b: Uint8Array, vec: number, i: number) => deref(b, vec + 4 + 4 * i);
export const subgraph0 = (b: Uint8Array) => tableInVector(b, vectorAt(b, rootTable(b), 2), 0);
export const tensorTable = (b: Uint8Array, i: number) => tableInVector(b, vectorAt(b, subgraph0(b), 0), i);
/** The operator-code table at index `i` of the model's `operator_codes` vector. */
export const opCodeTable = (b: Uint8Array, i: number) => tableInVector(b, vectorAt(b, rootTable(b), 1), i);

/**
 * A copy of `bytes` with operator code entry `index` turned into builtin `code` (both the deprecated
 * int8 field, 127 for extended codes, and the int32 field). Both fields must be present in the file,
 * which flatbuffers guarantees only for non-default values: pick entries whose original code is not 0 (ADD).
 */
export function withOpCodes(bytes: Uint8Array, codes: Record<number, number>): Uint8Array {
  const b = bytes.slice();
  for (const [index, code] of Object.entries(codes)) {
    const table = opCodeTable(b, Number(index));
    const deprecated = fieldAt(b, table, 0);
    const extended = fieldAt(b, table, 3);
    if (!deprecated || !extended) throw new Error(`test setup: operator code ${index} lacks a stored code field`);
    b[deprecated] = code < 127 ? code : 127;
    view(b).setInt32(extended, code, true);
  }
  return b;
}
