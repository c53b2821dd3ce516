// Shader templating. Shaders live in shaders/*.wgsl, one file per op family, and are imported as
// strings. Inside them `{{NAME}}` is a template parameter: a number or string spliced in, or a
// boolean feature switch after `#if` (wgsl-preprocessor's #if/#elif/#else/#endif).
import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';

export type ShaderParams = Record<string, string | number | boolean>;

const PLACEHOLDER = /\{\{([A-Z0-9_]+)\}\}/g;

export function renderShader(source: string, params: ShaderParams): string {
  const strings: string[] = [];
  const values: (string | number | boolean)[] = [];
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    const name = m[1]!;
    if (!(name in params)) throw new Error(`shader parameter {{${name}}} has no value`);
    strings.push(source.slice(last, m.index));
    values.push(params[name]!);
    last = m.index! + m[0].length;
  }
  strings.push(source.slice(last));
  const raw = Object.assign([...strings], { raw: [...strings] }) as unknown as TemplateStringsArray;
  return wgsl(raw, ...values);
}
