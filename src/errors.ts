// The one base of every error Octet throws on purpose. `code` is stable across releases, for
// programs to branch on (`e instanceof OctetError && e.code === 'UNSUPPORTED_OP'`); `message` is for
// people and may be reworded. Node-only failures are declared here too so that both entries export
// every error class, whatever module throws it.

export abstract class OctetError extends Error {
  /** Stable machine-readable identifier of the failure, e.g. 'MODEL_FORMAT', 'NO_WEBGPU'. */
  abstract readonly code: string;
}

/** The shared assets folder (models, images, labels) was not found. Thrown by the Node helpers. */
export class AssetsNotFoundError extends OctetError {
  override name = 'AssetsNotFoundError';
  readonly code = 'ASSETS_NOT_FOUND';
}

/** An evaluation set on disk is missing, malformed, or does not fit the model. Thrown in Node. */
export class EvalSetError extends OctetError {
  override name = 'EvalSetError';
  readonly code = 'EVAL_SET';
}

/** A command-line usage error (bad flag value, missing file) reported by the `octet` CLI. */
export class CliError extends OctetError {
  override name = 'CliError';
  readonly code = 'CLI';
}
