// Finds the shared asset folder (models, labels, images, eval sets, TFLite reference outputs)
// at run time. Nothing from it is ever copied into the repository.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { AssetsNotFoundError } from './errors.ts';
export { AssetsNotFoundError };

/** OCTET_ASSETS if set, else the first `../shared/assets` found walking up from cwd and from this module. */
export function findAssetsDir(): string {
  const fromEnv = process.env.OCTET_ASSETS;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new AssetsNotFoundError(`OCTET_ASSETS=${fromEnv} does not exist`);
    return resolve(fromEnv);
  }
  const starts = [process.cwd()];
  try {
    starts.push(dirname(fileURLToPath(import.meta.url)));
  } catch {
    // bundled without a file URL: cwd alone
  }
  for (const start of starts) {
    let dir = resolve(start);
    for (;;) {
      for (const candidate of [join(dir, 'shared', 'assets'), join(dir, '..', 'shared', 'assets')]) {
        if (existsSync(join(candidate, 'models'))) return resolve(candidate);
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new AssetsNotFoundError(
    'shared assets not found: set OCTET_ASSETS to the folder holding models/, labels/, eval/ and reference/',
  );
}

export function assetPath(...parts: string[]): string {
  return join(findAssetsDir(), ...parts);
}
