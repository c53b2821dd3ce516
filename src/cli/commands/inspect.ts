// `octet inspect`: what a model contains and where each operator would run, without running it.
// Works on every well-formed model, also one Octet cannot run: unsupported operators are listed
// in place, all of them, with the reason.
import { gpuPlacement } from '../../kernels/registry.ts';
import { formatSummary as formatGraphSummary, inspectGraph, type ModelSummary } from '../../model/inspect.ts';
import type { ModelMetadata, TensorMetadataInfo } from '../../model/metadata.ts';
import { listModelFile, modelMetadataOfFile } from '../load-model.ts';

/** The graph summary plus what the model's TFLite Support metadata says, files by name and size. */
export interface InspectSummary extends ModelSummary {
  metadata: (Omit<ModelMetadata, 'files'> & { files: Array<{ name: string; bytes: number }> }) | null;
  /** Why the metadata could not be read, when the model carries some that is malformed. */
  metadataError?: string;
}

export function inspectModel(path: string): InspectSummary {
  const listing = listModelFile(path);
  const summary = inspectGraph(listing, (op) => gpuPlacement(listing, op));
  let metadata: ModelMetadata | undefined;
  try {
    metadata = modelMetadataOfFile(path);
  } catch (e) {
    // A listing works on every well-formed graph: broken metadata is reported, not fatal here.
    return { ...summary, metadata: null, metadataError: (e as Error).message };
  }
  return {
    ...summary,
    metadata: metadata ? { ...metadata, files: [...metadata.files].map(([name, data]) => ({ name, bytes: data.length })) } : null,
  };
}

function describeTensorMetadata(role: string, t: TensorMetadataInfo): string {
  const parts = [`${role} '${t.name ?? ''}'`];
  if (t.content?.kind === 'image') parts.push(`image ${t.content.colorSpace}`);
  if (t.content?.kind === 'boundingBox') parts.push(`boxes ${t.content.type} ${t.content.coordinateType}${t.content.index.length ? ` order [${t.content.index.join(',')}]` : ''}`);
  if (t.normalization) parts.push(`normalization mean [${t.normalization.mean.join(',')}] std [${t.normalization.std.join(',')}]`);
  if (t.scoreThreshold !== undefined) parts.push(`score threshold ${t.scoreThreshold}`);
  for (const f of t.associatedFiles) parts.push(`${f.type} ${f.name}`);
  return parts.join(', ');
}

export function formatSummary(s: InspectSummary): string {
  const text = formatGraphSummary(s);
  if (s.metadataError) return `${text}\nmetadata: unreadable: ${s.metadataError}`;
  if (!s.metadata) return `${text}\nmetadata: none (preprocessing and labels come from Octet's table or defaults)`;
  const m = s.metadata;
  const lines = [`metadata: ${[m.name, m.version && `version ${m.version}`, m.author && `by ${m.author}`].filter(Boolean).join(', ')}`];
  m.inputs.forEach((t, i) => lines.push(`  ${describeTensorMetadata(`input ${i}`, t)}`));
  m.outputs.forEach((t, i) => lines.push(`  ${describeTensorMetadata(`output ${i}`, t)}`));
  if (m.files.length > 0) lines.push(`  packed files: ${m.files.map((f) => `${f.name} (${f.bytes} B)`).join(', ')}`);
  return `${text}\n${lines.join('\n')}`;
}
