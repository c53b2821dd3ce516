// TFLite Support metadata: the `TFLITE_METADATA` buffer many .tflite files carry (a flatbuffer of
// tensorflow_lite_support/metadata/metadata_schema.fbs, file identifier "M001") and the files
// packed in the model's zip tail (label maps and the like). It says how a model wants its input
// (normalization mean/std, colour space) and what its outputs mean (labels, boxes), so a model
// classifies the same under any file name.
//
// The metadata buffer is read through the same bounds-checked accessors as the model (a corrupt
// buffer throws ModelFormatError naming the field's path); the zip tail through fflate.
import { unzipSync } from 'fflate';
import { parseLabels } from '../data/labels.ts';
import { ModelFormatError } from './errors.ts';
import { FlatBufferReader, TflModel, TflTable, type TableVector } from './tflite-schema.ts';

/** The Model.metadata entry that holds TFLite Support metadata. */
export const TFLITE_METADATA_NAME = 'TFLITE_METADATA';
export const METADATA_FILE_IDENTIFIER = 'M001';

export type AssociatedFileType = 'UNKNOWN' | 'DESCRIPTIONS' | 'TENSOR_AXIS_LABELS' | 'TENSOR_VALUE_LABELS' | 'TENSOR_AXIS_SCORE_CALIBRATION' | 'VOCABULARY';
export type ColorSpaceType = 'UNKNOWN' | 'RGB' | 'GRAYSCALE';
export type BoundingBoxType = 'UNKNOWN' | 'BOUNDARIES' | 'UPPER_LEFT' | 'CENTER';
export type CoordinateType = 'RATIO' | 'PIXEL';
// The schema's enums by value.
const ASSOCIATED_FILE_TYPES: readonly AssociatedFileType[] = ['UNKNOWN', 'DESCRIPTIONS', 'TENSOR_AXIS_LABELS', 'TENSOR_VALUE_LABELS', 'TENSOR_AXIS_SCORE_CALIBRATION', 'VOCABULARY'];
const COLOR_SPACES: readonly ColorSpaceType[] = ['UNKNOWN', 'RGB', 'GRAYSCALE'];
const BOUNDING_BOX_TYPES: readonly BoundingBoxType[] = ['UNKNOWN', 'BOUNDARIES', 'UPPER_LEFT', 'CENTER'];
const COORDINATE_TYPES: readonly CoordinateType[] = ['RATIO', 'PIXEL'];

export interface AssociatedFileInfo {
  name: string;
  description?: string;
  type: AssociatedFileType;
  locale?: string;
}

export type ContentInfo =
  | { kind: 'feature' }
  | { kind: 'image'; colorSpace: ColorSpaceType; defaultSize?: { width: number; height: number } }
  | {
      kind: 'boundingBox';
      type: BoundingBoxType;
      coordinateType: CoordinateType;
      /** Order of the box's four values; empty means the type's default order. */
      index: number[];
    };

export interface TensorMetadataInfo {
  name?: string;
  description?: string;
  dimensionNames: string[];
  content?: ContentInfo;
  /** Dimensions the content spans (Content.range), when given. */
  range?: { min: number; max: number };
  /** NormalizationOptions: real = (x − mean[c]) / std[c], one value meaning every channel. */
  normalization?: { mean: number[]; std: number[] };
  /** ScoreThresholdingOptions.global_score_threshold. */
  scoreThreshold?: number;
  stats?: { min: number[]; max: number[] };
  associatedFiles: AssociatedFileInfo[];
}

export interface ModelMetadata {
  name?: string;
  description?: string;
  version?: string;
  author?: string;
  license?: string;
  minParserVersion?: string;
  /** Subgraph 0's input and output tensor metadata, in the model's input and output order. */
  inputs: TensorMetadataInfo[];
  outputs: TensorMetadataInfo[];
  associatedFiles: AssociatedFileInfo[];
  /** The files packed in the model's zip tail, by name (empty when the model has none). */
  files: ReadonlyMap<string, Uint8Array>;
}

// ---- metadata_schema.fbs accessors (field ids in declaration order; a union takes two) -----------

class MetaTable extends TflTable {
  protected str(id: number, label: string): string | undefined {
    return this.string(id, label) ?? undefined;
  }
  protected stringVector(id: number, label: string): string[] {
    const v = this.vector(id, 4, label);
    if (!v) return [];
    const out: string[] = [];
    const decoder = new TextDecoder('utf-8');
    for (let i = 0; i < v.length; i++) {
      const path = `${this.path} → ${label}[${i}]`;
      const at = this.reader.follow(v.start + 4 * i, 4, path, 'string length');
      const length = this.reader.bb.readUint32(at);
      this.reader.require(at + 4, length, path, 'string');
      out.push(decoder.decode(this.reader.bb.bytes().subarray(at + 4, at + 4 + length)));
    }
    return out;
  }
  protected floats(id: number, label: string): number[] {
    return Array.from(this.float32Vector(id, label) ?? []);
  }
  protected tables<T>(id: number, cls: new (reader: FlatBufferReader, pos: number, path: string) => T, label: string): T[] {
    const v: TableVector<T> = this.tableVector(id, cls, label);
    return Array.from({ length: v.length }, (_, i) => v.get(i));
  }
  protected enumName<T extends string>(names: readonly T[], value: number, label: string): T {
    const name = names[value];
    if (name === undefined) throw new ModelFormatError(this.path, `${label} ${value} is not one of ${names.join(', ')}`);
    return name;
  }
}

class MetaAssociatedFile extends MetaTable {
  info(): AssociatedFileInfo {
    const name = this.str(0, 'name');
    if (!name) throw new ModelFormatError(this.path, 'associated file has no name');
    return {
      name,
      ...(this.str(1, 'description') !== undefined && { description: this.str(1, 'description') }),
      type: this.enumName(ASSOCIATED_FILE_TYPES, this.int8(2, 0), 'associated file type'),
      ...(this.str(3, 'locale') !== undefined && { locale: this.str(3, 'locale') }),
    };
  }
}

class MetaImageSize extends MetaTable {
  size(): { width: number; height: number } {
    return { width: this.uint32(0, 0), height: this.uint32(1, 0) };
  }
}

class MetaImageProperties extends MetaTable {
  info(): ContentInfo {
    const size = this.table(1, MetaImageSize, 'default_size')?.size();
    return { kind: 'image', colorSpace: this.enumName(COLOR_SPACES, this.int8(0, 0), 'color_space'), ...(size && { defaultSize: size }) };
  }
}

class MetaBoundingBoxProperties extends MetaTable {
  info(): ContentInfo {
    return {
      kind: 'boundingBox',
      index: Array.from(this.int32Vector(0, 'index') ?? [], (v) => v >>> 0),
      type: this.enumName(BOUNDING_BOX_TYPES, this.int8(1, 0), 'bounding box type'),
      coordinateType: this.enumName(COORDINATE_TYPES, this.int8(2, 0), 'coordinate_type'),
    };
  }
}

class MetaValueRange extends MetaTable {
  range(): { min: number; max: number } {
    return { min: this.int32(0, 0), max: this.int32(1, 0) };
  }
}

class MetaContent extends MetaTable {
  properties(): ContentInfo | undefined {
    switch (this.uint8(0, 0)) {
      case 0:
        return undefined;
      case 1:
        return { kind: 'feature' };
      case 2:
        return this.table(1, MetaImageProperties, 'image_properties')?.info();
      case 3:
        return this.table(1, MetaBoundingBoxProperties, 'bounding_box_properties')?.info();
      default:
        // A content type newer than this reader: the tensor is still usable, its content unknown.
        return undefined;
    }
  }
  range(): { min: number; max: number } | undefined {
    return this.table(2, MetaValueRange, 'range')?.range();
  }
}

class MetaNormalizationOptions extends MetaTable {
  values(): { mean: number[]; std: number[] } {
    const mean = this.floats(0, 'mean');
    const std = this.floats(1, 'std');
    if (mean.length === 0 || std.length === 0) throw new ModelFormatError(this.path, 'normalization options need both mean and std');
    for (const s of std) if (!(Math.abs(s) > 0) || !Number.isFinite(s)) throw new ModelFormatError(this.path, `normalization std ${s} is not a finite non-zero number`);
    for (const m of mean) if (!Number.isFinite(m)) throw new ModelFormatError(this.path, `normalization mean ${m} is not finite`);
    return { mean, std };
  }
}

class MetaScoreThresholdingOptions extends MetaTable {
  threshold(): number {
    return this.float32(0, 0);
  }
}

/** table ProcessUnit { options:ProcessUnitOptions; } with the union tags 1 NormalizationOptions … 3 ScoreThresholdingOptions. */
class MetaProcessUnit extends MetaTable {
  kind(): number {
    return this.uint8(0, 0);
  }
  normalization(): { mean: number[]; std: number[] } | undefined {
    return this.kind() === 1 ? this.table(1, MetaNormalizationOptions, 'normalization_options')?.values() : undefined;
  }
  scoreThreshold(): number | undefined {
    return this.kind() === 3 ? this.table(1, MetaScoreThresholdingOptions, 'score_thresholding_options')?.threshold() : undefined;
  }
}

class MetaStats extends MetaTable {
  stats(): { min: number[]; max: number[] } {
    return { max: this.floats(0, 'max'), min: this.floats(1, 'min') };
  }
}

class MetaTensor extends MetaTable {
  info(): TensorMetadataInfo {
    const content = this.table(3, MetaContent, 'content');
    const units = this.tables(4, MetaProcessUnit, 'process_units');
    const normalization = units.map((u) => u.normalization()).find((n) => n !== undefined);
    const scoreThreshold = units.map((u) => u.scoreThreshold()).find((n) => n !== undefined);
    const properties = content?.properties();
    const range = content?.range();
    const stats = this.table(5, MetaStats, 'stats')?.stats();
    const name = this.str(0, 'name');
    const description = this.str(1, 'description');
    return {
      ...(name !== undefined && { name }),
      ...(description !== undefined && { description }),
      dimensionNames: this.stringVector(2, 'dimension_names'),
      ...(properties && { content: properties }),
      ...(range && { range }),
      ...(normalization && { normalization }),
      ...(scoreThreshold !== undefined && { scoreThreshold }),
      ...(stats && { stats }),
      associatedFiles: this.tables(6, MetaAssociatedFile, 'associated_files').map((f) => f.info()),
    };
  }
}

class MetaSubGraph extends MetaTable {
  inputs(): TensorMetadataInfo[] {
    return this.tables(2, MetaTensor, 'input_tensor_metadata').map((t) => t.info());
  }
  outputs(): TensorMetadataInfo[] {
    return this.tables(3, MetaTensor, 'output_tensor_metadata').map((t) => t.info());
  }
  files(): AssociatedFileInfo[] {
    return this.tables(4, MetaAssociatedFile, 'associated_files').map((f) => f.info());
  }
}

class MetaModel extends MetaTable {
  read(files: ReadonlyMap<string, Uint8Array>): ModelMetadata {
    const subgraphs = this.tables(3, MetaSubGraph, 'subgraph_metadata');
    const main = subgraphs[0];
    const optional = (id: number, key: keyof ModelMetadata, label: string) => {
      const v = this.str(id, label);
      return v === undefined ? {} : { [key]: v };
    };
    return {
      ...optional(0, 'name', 'name'),
      ...optional(1, 'description', 'description'),
      ...optional(2, 'version', 'version'),
      ...optional(4, 'author', 'author'),
      ...optional(5, 'license', 'license'),
      ...optional(7, 'minParserVersion', 'min_parser_version'),
      inputs: main?.inputs() ?? [],
      outputs: main?.outputs() ?? [],
      associatedFiles: [...this.tables(6, MetaAssociatedFile, 'associated_files').map((f) => f.info()), ...(main?.files() ?? [])],
      files,
    };
  }
}

// ---- reading ---------------------------------------------------------------------------------

/** The zip tail's files by name; empty when the file has no zip tail (no end-of-central-directory record). */
function zipTail(bytes: Uint8Array): Map<string, Uint8Array> {
  // End-of-central-directory signature PK\5\6 within the last 64 KiB + 22 bytes (the comment's limit).
  let hasZip = false;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i--) {
    if (bytes[i] === 0x50 && bytes[i + 1] === 0x4b && bytes[i + 2] === 0x05 && bytes[i + 3] === 0x06) {
      hasZip = true;
      break;
    }
  }
  if (!hasZip) return new Map();
  try {
    return new Map(Object.entries(unzipSync(bytes)));
  } catch (e) {
    throw new ModelFormatError('zip tail', `the model's packed files cannot be read: ${(e as Error).message}`);
  }
}

/**
 * The TFLite Support metadata of a .tflite file, or undefined when it carries none.
 * @throws ModelFormatError when the metadata buffer or the zip tail is malformed, or when the
 *   metadata names a packed file the zip tail does not hold.
 */
export function readTfliteMetadata(bytes: Uint8Array): ModelMetadata | undefined {
  const model = TflModel.fromBytes(bytes);
  const entries = model.metadata();
  let bufferIndex: number | undefined;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries.get(i);
    if (entry.name() === TFLITE_METADATA_NAME) bufferIndex = entry.buffer();
  }
  if (bufferIndex === undefined) return undefined;
  const buffers = model.buffers();
  if (bufferIndex >= buffers.length) {
    throw new ModelFormatError(`model → metadata '${TFLITE_METADATA_NAME}'`, `buffer ${bufferIndex} out of range (model has ${buffers.length} buffers)`);
  }
  const where = `metadata '${TFLITE_METADATA_NAME}'`;
  const files = zipTail(bytes);
  let metadata: ModelMetadata;
  try {
    const reader = new FlatBufferReader(buffers.get(bufferIndex).data());
    const root = reader.rootTablePosition();
    const id = reader.fileIdentifier();
    if (id !== METADATA_FILE_IDENTIFIER) throw new ModelFormatError('', `file identifier '${id}' is not '${METADATA_FILE_IDENTIFIER}'`);
    metadata = new MetaModel(reader, root, 'metadata').read(files);
  } catch (e) {
    // Positions inside the metadata buffer are relative to it: say so, and which buffer.
    if (e instanceof ModelFormatError) throw new ModelFormatError(`${where} (buffer ${bufferIndex})`, e.message);
    throw e;
  }
  const named = [...metadata.associatedFiles, ...[...metadata.inputs, ...metadata.outputs].flatMap((t) => t.associatedFiles)];
  for (const f of named) {
    if (!files.has(f.name)) throw new ModelFormatError(where, `associated file '${f.name}' is not packed in the model (packed: ${[...files.keys()].join(', ') || 'none'})`);
  }
  return metadata;
}

/**
 * The labels of output `outputIndex` from its TENSOR_AXIS_LABELS file (the first, or the one in
 * `locale`), read as every label list is (parseLabels: one per line, inner blank lines kept).
 */
export function labelsFromMetadata(metadata: ModelMetadata, outputIndex = 0, locale?: string): { file: string; labels: string[] } | undefined {
  const files = metadata.outputs[outputIndex]?.associatedFiles.filter((f) => f.type === 'TENSOR_AXIS_LABELS') ?? [];
  const file = (locale && files.find((f) => f.locale === locale)) || files[0];
  if (!file) return undefined;
  return { file: file.name, labels: parseLabels(new TextDecoder('utf-8').decode(metadata.files.get(file.name))) };
}
