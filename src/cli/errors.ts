// How the CLI reports failures: one line `octet: <message>` on stderr and an exit code that
// tells "fix your input" (1) apart from "this machine has no usable GPU" (2).
import { NoWebGPUError } from '../gpu/errors.ts';

import { CliError } from '../errors.ts';
export { CliError };

export const EXIT_FAILURE = 1;
export const EXIT_NO_GPU = 2;

export function exitCodeFor(e: unknown): number {
  return e instanceof NoWebGPUError ? EXIT_NO_GPU : EXIT_FAILURE;
}

/** The single line printed for an error: the message only, newlines folded so it stays one line. */
export function errorLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return `octet: ${message.replace(/\s*\n\s*/g, ' ').trim() || (e instanceof Error ? e.name : 'unknown error')}`;
}
