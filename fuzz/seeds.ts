// Seed models for the importer fuzzer. Octet-made seeds are small graphs built with GraphBuilder
// and written by exportTflite: they are always available and deterministic, so a regression
// derived from one replays everywhere. Asset seeds (the real models in shared/assets) are read at
// run time only. Failures from either are saved as recipes (seed id, sha256, steps), never bytes.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findAssetsDir } from '../src/assets-node.ts';
import type { Graph } from '../src/model/graph.ts';
import { exportTflite } from '../src/model/tflite-writer.ts';
import { GraphBuilder, convGraph, fullyConnectedGraph, quant, randomBytes } from '../test/helpers/graphs.ts';
import { mulberry32, randInt } from '../test/helpers/rng.ts';

export interface Seed {
  /** 'octet:<name>' for built seeds, 'asset:<path under assets/>' for shared models. */
  id: string;
  bytes: Uint8Array;
  /** Octet-made (rebuilt from code, always available), as opposed to a shared asset model. */
  octet: boolean;
  sha256: string;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function octetSeed(name: string, g: Graph): Seed {
  const bytes = exportTflite(g);
  return { id: `octet:${name}`, bytes, octet: true, sha256: sha256(bytes) };
}

const q = quant;

/** CONV → DEPTHWISE → ADD(const) → AVG_POOL → RESHAPE → FC → SOFTMAX: the common classifier tail. */
function classifierChain(rng: () => number): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('input', [1, 6, 6, 3], 'int8', q(0.05, -3));
  const w1 = b.tensor('conv/w', [4, 3, 3, 3], 'int8', q([0.01, 0.02, 0.015, 0.03], [0, 0, 0, 0], 0), randomBytes(rng, 108, 'int8'));
  const b1 = b.tensor('conv/b', [4], 'int32', q([5e-4, 1e-3, 7.5e-4, 1.5e-3], [0, 0, 0, 0]), Int32Array.from([10, -20, 30, -40]));
  const c1 = b.tensor('conv/out', [1, 6, 6, 4], 'int8', q(0.1, 2));
  b.op({ type: 'CONV_2D', inputs: [x, w1, b1], outputs: [c1], options: { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU6' } });
  const w2 = b.tensor('dw/w', [1, 3, 3, 4], 'int8', q([0.02, 0.02, 0.01, 0.04], [0, 0, 0, 0], 3), randomBytes(rng, 36, 'int8'));
  const c2 = b.tensor('dw/out', [1, 3, 3, 4], 'int8', q(0.08, -1));
  b.op({ type: 'DEPTHWISE_CONV_2D', inputs: [c1, w2, -1], outputs: [c2], options: { padding: 'VALID', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, activation: 'NONE', depthMultiplier: 1 } });
  const k = b.tensor('bias_add/const', [1, 1, 1, 4], 'int8', q(0.03, 0), randomBytes(rng, 4, 'int8'));
  const a = b.tensor('add/out', [1, 3, 3, 4], 'int8', q(0.09, 0));
  b.op({ type: 'ADD', inputs: [c2, k], outputs: [a], options: { activation: 'RELU' } });
  const p = b.tensor('pool/out', [1, 1, 1, 4], 'int8', q(0.09, 0));
  b.op({ type: 'AVERAGE_POOL_2D', inputs: [a], outputs: [p], options: { padding: 'VALID', strideH: 3, strideW: 3, filterH: 3, filterW: 3, activation: 'NONE' } });
  const shape = b.tensor('reshape/shape', [2], 'int32', undefined, Int32Array.from([1, 4]));
  const r = b.tensor('reshape/out', [1, 4], 'int8', q(0.09, 0));
  b.op({ type: 'RESHAPE', inputs: [p, shape], outputs: [r], options: { newShape: [1, 4] } });
  const fw = b.tensor('fc/w', [3, 4], 'int8', q(0.02, 0), randomBytes(rng, 12, 'int8'));
  const fb = b.tensor('fc/b', [3], 'int32', q(0.0018, 0), Int32Array.from([1, 2, 3]));
  const f = b.tensor('fc/out', [1, 3], 'int8', q(0.2, 5));
  b.op({ type: 'FULLY_CONNECTED', inputs: [r, fw, fb], outputs: [f], options: { activation: 'NONE', keepNumDims: false } });
  const s = b.tensor('softmax/out', [1, 3], 'int8', q(1 / 256, -128));
  b.op({ type: 'SOFTMAX', inputs: [f], outputs: [s], options: { beta: 1 } });
  return b.build([x], [s], 'classifier');
}

/** Every remaining op type once, so every options table the importer reads is in some seed. */
function opZoo(rng: () => number): Graph {
  const b = new GraphBuilder();
  const t = (name: string, shape: number[]) => b.tensor(name, shape, 'uint8', q(0.05, 128));
  const x = b.tensor('x', [1, 4, 4, 2], 'float32');
  const y = b.tensor('y', [1, 4, 4, 2], 'uint8', q(0.05, 128));
  const xq = t('quantize/out', [1, 4, 4, 2]);
  b.op({ type: 'QUANTIZE', inputs: [x], outputs: [xq], options: {} });
  const m = t('mul/out', [1, 4, 4, 2]);
  b.op({ type: 'MUL', inputs: [xq, y], outputs: [m], options: { activation: 'RELU_N1_TO_1' } });
  const mp = t('maxpool/out', [1, 2, 2, 2]);
  b.op({ type: 'MAX_POOL_2D', inputs: [m], outputs: [mp], options: { padding: 'SAME', strideH: 2, strideW: 2, filterH: 2, filterW: 2, activation: 'RELU' } });
  const pads = b.tensor('pad/paddings', [4, 2], 'int32', undefined, Int32Array.from([0, 0, 1, 1, 1, 1, 0, 0]));
  const pd = t('pad/out', [1, 4, 4, 2]);
  b.op({ type: 'PAD', inputs: [mp, pads], outputs: [pd], options: {} });
  const perm = b.tensor('transpose/perm', [4], 'int32', undefined, Int32Array.from([0, 2, 1, 3]));
  const tr = t('transpose/out', [1, 4, 4, 2]);
  b.op({ type: 'TRANSPOSE', inputs: [pd, perm], outputs: [tr], options: {} });
  const cc = t('concat/out', [1, 4, 4, 4]);
  b.op({ type: 'CONCATENATION', inputs: [tr, pd], outputs: [cc], options: { axis: 3, activation: 'NONE' } });
  const axes = b.tensor('mean/axes', [2], 'int32', undefined, Int32Array.from([1, 2]));
  const mn = t('mean/out', [1, 1, 1, 4]);
  b.op({ type: 'MEAN', inputs: [cc, axes], outputs: [mn], options: { keepDims: true } });
  const sq = t('squeeze/out', [1, 4]);
  b.op({ type: 'SQUEEZE', inputs: [mn], outputs: [sq], options: { squeezeDims: [1, 2] } });
  const lg = t('logistic/out', [1, 4]);
  b.op({ type: 'LOGISTIC', inputs: [sq], outputs: [lg], options: {} });
  const r = t('relu/out', [1, 4]);
  b.op({ type: 'RELU', inputs: [lg], outputs: [r], options: {} });
  const r6 = t('relu6/out', [1, 4]);
  b.op({ type: 'RELU6', inputs: [r], outputs: [r6], options: {} });
  const rs = t('reshape/out', [4]);
  b.op({ type: 'RESHAPE', inputs: [r6], outputs: [rs], options: {}, version: 2 });
  const dq = b.tensor('dequantize/out', [4], 'float32');
  b.op({ type: 'DEQUANTIZE', inputs: [rs], outputs: [dq], options: {} });
  // A second output and an int16 constant, for variety in dtypes and I/O lists.
  b.tensor('unused/i16', [2, 3], 'int16', q(0.5, 0), Int16Array.from({ length: 6 }, () => randInt(rng, -300, 300)));
  return b.build([x, y], [dq, mp], 'zoo');
}

/** A residual block: two branches joined by ADD, so reordering ops makes real cycles. */
function residual(rng: () => number): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('in', [1, 4, 4, 4], 'int8', q(0.1, 0));
  const w = b.tensor('w', [1, 3, 3, 4], 'int8', q(0.01, 0), randomBytes(rng, 36, 'int8'));
  const d = b.tensor('dw', [1, 4, 4, 4], 'int8', q(0.1, 0));
  b.op({ type: 'DEPTHWISE_CONV_2D', inputs: [x, w, -1], outputs: [d], options: { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 2, dilationW: 2, activation: 'RELU', depthMultiplier: 1 } });
  const a = b.tensor('add', [1, 4, 4, 4], 'int8', q(0.2, 0));
  b.op({ type: 'ADD', inputs: [x, d], outputs: [a], options: { activation: 'NONE' } });
  const s = b.tensor('softmax', [1, 4, 4, 4], 'int8', q(1 / 256, -128));
  b.op({ type: 'SOFTMAX', inputs: [a], outputs: [s], options: { beta: 0.5 } });
  return b.build([x], [s], 'residual');
}

/**
 * One FC layer with a 1 KiB weight tensor and 40 small tensors no op uses (converters leave such
 * tensors behind): room for table-sharing mutations that still import successfully.
 */
function unusedTensors(rng: () => number): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('x', [1, 32], 'int8', q(0.1, 0));
  const w = b.tensor('w', [32, 32], 'int8', q(0.01, 0), randomBytes(rng, 1024, 'int8'));
  const y = b.tensor('y', [1, 32], 'int8', q(0.2, 0));
  b.op({ type: 'FULLY_CONNECTED', inputs: [x, w, -1], outputs: [y], options: { activation: 'NONE', keepNumDims: false } });
  for (let i = 0; i < 40; i++) b.tensor(`u${i}`, [1], 'int8');
  return b.build([x], [y], 'unused');
}

/** The Octet-made seeds, always the same bytes (fixed PRNG seeds). */
export function octetSeeds(): Seed[] {
  const rng = mulberry32(0x5eed);
  return [
    octetSeed('classifier', classifierChain(rng)),
    octetSeed('zoo', opZoo(rng)),
    octetSeed('residual', residual(rng)),
    octetSeed('unused-tensors', unusedTensors(rng)),
    octetSeed(
      'conv-int8',
      convGraph(rng, { kind: 'conv', dtype: 'int8', batch: 1, inH: 5, inW: 5, inC: 3, outC: 4, k: 3, stride: 1, dilation: 1, padding: 'SAME', activation: 'RELU', depthMultiplier: 1, bias: true }),
    ),
    octetSeed(
      'depthwise-uint8',
      convGraph(rng, { kind: 'depthwise', dtype: 'uint8', batch: 1, inH: 6, inW: 6, inC: 2, outC: 4, k: 3, stride: 2, dilation: 1, padding: 'VALID', activation: 'RELU6', depthMultiplier: 2, bias: true }),
    ),
    octetSeed('fc-per-channel', fullyConnectedGraph(rng, { dtype: 'int8', batch: 2, depth: 8, units: 5, perChannel: true, activation: 'NONE' })),
    octetSeed('fc-uint8', fullyConnectedGraph(rng, { dtype: 'uint8', batch: 1, depth: 6, units: 3, perChannel: false, activation: 'RELU' })),
  ];
}

/** Asset .tflite files up to `maxBytes`, sorted by path; empty when the assets are not present. */
export function assetSeeds(maxBytes = Infinity): Seed[] {
  let dir: string;
  try {
    dir = join(findAssetsDir(), 'models');
  } catch {
    return [];
  }
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.tflite') && statSync(p).size <= maxBytes) files.push(p);
    }
  };
  walk(dir);
  return files.map((p) => {
    const bytes = new Uint8Array(readFileSync(p));
    return { id: `asset:models/${relative(dir, p)}`, bytes, octet: false, sha256: sha256(bytes) };
  });
}

/** Reads an asset seed by its id ('asset:models/…'), or undefined when the assets are absent. */
export function loadAssetSeed(id: string): Seed | undefined {
  if (!id.startsWith('asset:')) return undefined;
  let root: string;
  try {
    root = findAssetsDir();
  } catch {
    return undefined;
  }
  const p = join(root, id.slice('asset:'.length));
  if (!existsSync(p)) return undefined;
  const bytes = new Uint8Array(readFileSync(p));
  return { id, bytes, octet: false, sha256: sha256(bytes) };
}

/**
 * A seed by its id: an Octet-made one ('octet:…', always built) or a shared asset ('asset:…',
 * undefined when the assets are absent or lack it).
 */
export function loadSeed(id: string): Seed | undefined {
  return id.startsWith('octet:') ? octetSeeds().find((s) => s.id === id) : loadAssetSeed(id);
}
