// File access with messages that name what was being read, rather than Node's bare ENOENT text.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { CliError } from './errors.ts';

function describeFsError(e: unknown, what: string, path: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new CliError(`${what} not found: ${path}`);
  if (code === 'EISDIR') return new CliError(`${what} is a directory, not a file: ${path}`);
  if (code === 'EACCES' || code === 'EPERM') return new CliError(`${what} is not readable (permission denied): ${path}`);
  return new CliError(`cannot read ${what} ${path}: ${(e as Error).message}`);
}

export function readBytes(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw describeFsError(e, what, path);
  }
}

export function readText(path: string, what: string): string {
  return new TextDecoder().decode(readBytes(path, what));
}

export function writeBytes(path: string, bytes: Uint8Array, what: string): void {
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`cannot write ${what}: folder of ${path} does not exist`);
    throw new CliError(`cannot write ${what} ${path}: ${(e as Error).message}`);
  }
}

export function requireDirectory(path: string, what: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new CliError(`${what} not found: ${path}`);
  }
  if (!isDir) throw new CliError(`${what} is not a folder: ${path}`);
}
