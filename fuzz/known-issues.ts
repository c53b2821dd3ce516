// Importer bugs the fuzzer has found and reported, which the lead has not fixed yet. A failure
// that matches one is counted under its id instead of failing the run (and is not saved as a
// regression). Delete the entry once the importer is fixed; the fuzzer guards the fix from then on.
import { importTflite } from '../src/model/import.ts';
import { tensorElementCount } from '../src/model/graph.ts';
import { mapTflite } from './flatbuffer-map.ts';
import type { FailureKind } from './oracle.ts';

export interface KnownIssue {
  id: string;
  summary: string;
  kinds: readonly FailureKind[];
  /** Whether the failing input shows the issue's cause. */
  matches: (bytes: Uint8Array) => boolean;
}

/**
 * True when the file shares bytes between references: a vector or string reached twice (through
 * a shared table or two offsets to it) or overlapping another one, or two tensors naming the same
 * non-empty buffer. Sharing is legal flatbuffers (converters dedupe identical buffers), so the
 * importer must cope. Tables alone do not count: builders share vtables and empty Buffer tables,
 * and old TFLite writers' table sizes overlap the next table's first bytes (coral's mobilenets).
 */
export function hasSharedTables(bytes: Uint8Array): boolean {
  const map = mapTflite(bytes);
  const vectors = map.extents.filter((e) => !e.table);
  vectors.sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < vectors.length; i++) {
    if (vectors[i]!.start < vectors[i - 1]!.end || vectors[i]!.start === vectors[i - 1]!.start) return true;
  }
  const buffers = new Set<number>();
  for (const t of map.tensors) {
    if (t.bufferIndex === 0 || t.dataLength === 0) continue;
    if (buffers.has(t.bufferIndex)) return true;
    buffers.add(t.bufferIndex);
  }
  return false;
}

// Both issues found so far are fixed in the importer and guarded by the fuzzer from now on:
//  - shared tables: buffer copies are shared per buffer index and other reads are charged to a
//    budget proportional to the file (ReadBudget in src/model/import.ts);
//  - NaN element counts: the element count stops at the limit before it can overflow.
export const KNOWN_ISSUES: readonly KnownIssue[] = [];

/** The known issue a failure belongs to, if any. */
export function knownIssueOf(kind: FailureKind, bytes: Uint8Array): KnownIssue | undefined {
  return KNOWN_ISSUES.find((k) => k.kinds.includes(kind) && k.matches(bytes));
}
