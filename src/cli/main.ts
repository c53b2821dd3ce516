// Entry of the `octet` command (bundled to dist/cli.js). Every failure ends as one line
// `octet: <message>` on stderr with exit code 1, or 2 when no WebGPU adapter is found.
import { buildProgram } from './program.ts';
import { errorLine, exitCodeFor } from './errors.ts';

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram({ stdout: (text) => process.stdout.write(text) });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    process.stderr.write(`${errorLine(e)}\n`);
    if (process.env.OCTET_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return exitCodeFor(e);
  }
}

const code = await main(process.argv);
await Promise.all([flush(process.stdout), flush(process.stderr)]);
// Explicit exit: Dawn instances are kept alive for the whole process (see node-gpu.ts), so the
// event loop alone would not end it.
process.exit(code);
