// Runs the built CLI (bin/octet.mjs → dist/cli.js) as a child process.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'octet.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The `octet: …` lines of stderr (Dawn prints its own warnings there too). */
  errorLines: string[];
}

export function octet(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => {
      const errorLines = stderr.split('\n').filter((line) => line.startsWith('octet: '));
      resolve({ code, stdout, stderr, errorLines });
    });
  });
}
