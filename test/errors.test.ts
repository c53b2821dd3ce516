// Every error class Octet declares (found by reading src/, so a new one cannot be forgotten)
// extends OctetError, carries its own stable code, and is exported from both public entries.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as browserEntry from '../src/index.ts';
import * as nodeEntry from '../src/node.ts';
import { OctetError } from '../src/errors.ts';

const SRC = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const declared = sourceFiles(SRC).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/^export (?:abstract )?class (\w+) extends (\w+)/gm)].map((m) => ({ file, name: m[1]!, base: m[2]! })),
);
const errorClasses = declared.filter((c) => /Error$/.test(c.name) || c.base === 'Error');

describe('errors', () => {
  it('the scan finds the error classes (it would pass vacuously otherwise)', () => {
    expect(errorClasses.length).toBeGreaterThan(20);
    expect(errorClasses.map((c) => c.name)).toContain('UnsupportedOpError');
  });

  it('only OctetError extends Error directly', () => {
    expect(errorClasses.filter((c) => c.base === 'Error').map((c) => c.name)).toEqual(['OctetError']);
  });

  it.each(errorClasses.map((c) => c.name))('%s is exported from both entries as an OctetError', (name) => {
    const fromBrowser = (browserEntry as Record<string, unknown>)[name];
    const fromNode = (nodeEntry as Record<string, unknown>)[name];
    expect(typeof fromBrowser, `${name} from the browser entry`).toBe('function');
    expect(fromNode, `${name} from the Node entry`).toBe(fromBrowser);
    expect((fromBrowser as { prototype: unknown }).prototype instanceof OctetError || fromBrowser === OctetError).toBe(true);
  });

  it('codes are stable identifiers, one per class, and name is the class name', () => {
    const codes = new Map<string, string>();
    for (const { name } of errorClasses) {
      if (name === 'OctetError') continue;
      const Ctor = (browserEntry as Record<string, unknown>)[name];
      // Constructors take a message, or a (where, problem), (what, message), (source, reason) or
      // (opName, …) list that starts with strings: two strings construct every one of them.
      const e = new (Ctor as never as new (a: string, b: string) => OctetError)('a', 'b');
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(name);
      expect(e.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(codes.get(e.code), `code ${e.code} of ${name}`).toBeUndefined();
      codes.set(e.code, name);
    }
    expect(codes.size).toBe(errorClasses.length - 1);
  });
});
