// Single-op graphs for the binary arithmetic family (SUB, DIV, MAXIMUM, MINIMUM,
// SQUARED_DIFFERENCE, POW, FLOOR_DIV, FLOOR_MOD, and ADD/MUL over any broadcast and int32), with
// inputs that avoid what TFLite errors on (zero divisors, negative integer exponents) unless asked.
import type { Activation, Graph } from '../../src/model/graph.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { GraphBuilder, quant, randomBytes } from './graphs.ts';
import { mulberry32, randInt } from './rng.ts';

export type ArithOp = 'ADD' | 'MUL' | 'SUB' | 'DIV' | 'MAXIMUM' | 'MINIMUM' | 'SQUARED_DIFFERENCE' | 'POW' | 'FLOOR_DIV' | 'FLOOR_MOD';
export type ArithDType = 'int8' | 'uint8' | 'int32' | 'float32';

export const HAS_ACTIVATION: ReadonlySet<ArithOp> = new Set(['ADD', 'MUL', 'SUB', 'DIV']);

export interface ArithCase {
  op: ArithOp;
  dtype: ArithDType;
  aShape: number[];
  bShape: number[];
  activation?: Activation;
  /** The second input is a constant of the graph. */
  constantB?: boolean;
  /** [scale, zeroPoint] of a, b and the output (8-bit only); random when absent. */
  quant?: [[number, number], [number, number], [number, number]];
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const pa = [...new Array<number>(rank - a.length).fill(1), ...a];
  const pb = [...new Array<number>(rank - b.length).fill(1), ...b];
  return pa.map((x, i) => (x === 1 ? pb[i]! : x));
}

export function describeArith(c: ArithCase): string {
  return `${c.op} ${c.dtype} [${c.aShape}] [${c.bShape}]${c.constantB ? ' (const)' : ''} ${c.activation ?? 'NONE'}${c.quant ? ` q ${c.quant.map((q) => q.join('/')).join(' ')}` : ''}`;
}

function defaultQuant(rng: () => number, c: ArithCase): [[number, number], [number, number], [number, number]] {
  const zp = () => (c.dtype === 'int8' ? randInt(rng, -30, 30) : randInt(rng, 98, 158));
  const sa = 0.01 + rng() * 0.05;
  const sb = sa * (0.3 + rng() * 2);
  let so: number;
  switch (c.op) {
    case 'MUL':
      so = sa * sb * (40 + rng() * 60);
      break;
    case 'SQUARED_DIFFERENCE':
      so = (sa + sb) * (sa + sb) * (30 + rng() * 60);
      break;
    case 'MAXIMUM':
    case 'MINIMUM':
      return [[sa, zp()], [sa, zp()], [sa, zp()]];
    default:
      so = (sa + sb) * (0.6 + rng() * 0.8);
  }
  return [[sa, zp()], [sb, zp()], [so, zp()]];
}

/** Random values for one operand: integers kept small for MUL/POW, divisors and exponents legal. */
export function arithValues(rng: () => number, c: ArithCase, n: number, second: boolean): TensorData {
  if (c.dtype === 'int8' || c.dtype === 'uint8') return randomBytes(rng, n, c.dtype);
  const divisor = second && (c.op === 'DIV' || c.op === 'FLOOR_DIV' || c.op === 'FLOOR_MOD');
  if (c.dtype === 'int32') {
    return Int32Array.from({ length: n }, () => {
      if (c.op === 'POW') return second ? randInt(rng, 0, 9) : randInt(rng, -9, 9);
      const big = rng() < 0.2;
      let v = big ? randInt(rng, -2147483648, 2147483647) : randInt(rng, -300, 300);
      if (divisor && v === 0) v = 7;
      return v;
    });
  }
  return Float32Array.from({ length: n }, () => {
    if (c.op === 'POW') return second ? (rng() < 0.5 ? randInt(rng, -3, 4) : rng() * 3 - 1) : rng() < 0.3 ? -randInt(rng, 1, 4) : rng() * 4;
    let v = rng() * 16 - 8;
    if (divisor && Math.abs(v) < 0.05) v = 0.5;
    return v;
  });
}

export function arithGraph(rng: () => number, c: ArithCase): Graph {
  const b = new GraphBuilder();
  const outShape = broadcastShape(c.aShape, c.bShape);
  const eight = c.dtype === 'int8' || c.dtype === 'uint8';
  const q = eight ? c.quant ?? defaultQuant(rng, c) : undefined;
  const a = b.tensor('a', c.aShape, c.dtype, q ? quant(q[0][0], q[0][1]) : undefined);
  const bCount = c.bShape.reduce((x, y) => x * y, 1);
  const bId = b.tensor('b', c.bShape, c.dtype, q ? quant(q[1][0], q[1][1]) : undefined, c.constantB ? arithValues(rng, c, bCount, true) : undefined);
  const out = b.tensor('out', outShape, c.dtype, q ? quant(q[2][0], q[2][1]) : undefined);
  const options = HAS_ACTIVATION.has(c.op) ? { activation: c.activation ?? 'NONE' } : {};
  b.op({ type: c.op, inputs: [a, bId], outputs: [out], options } as never);
  return b.build(c.constantB ? [a] : [a, bId], [out], describeArith(c));
}

/** Inputs for an arithGraph: the first operand, and the second unless it is a constant. */
export function arithInputs(rng: () => number, c: ArithCase): TensorData[] {
  const count = (s: number[]) => s.reduce((x, y) => x * y, 1);
  const inputs = [arithValues(rng, c, count(c.aShape), false)];
  if (!c.constantB) inputs.push(arithValues(rng, c, count(c.bShape), true));
  return inputs;
}

export type ConstantOperandOp = 'ADD' | 'SUB' | 'MUL' | 'MAXIMUM' | 'MINIMUM' | 'SQUARED_DIFFERENCE';

export interface ConstantOperandCase {
  op: ConstantOperandOp;
  dtype: 'int8' | 'uint8';
  /** The activation's shape; the constant's. */
  shape: number[];
  constantShape: number[];
  constantFirst: boolean;
  activation: Activation;
}

/** An 8-bit binary op of an activation x and a constant operand (tabulate-byte-ops' case, src/passes/byte-tables.ts). */
export function constantOperandGraph(c: ConstantOperandCase, seed: number): Graph {
  const rng = mulberry32(seed);
  const offset = c.dtype === 'uint8' ? 128 : 0;
  const b = new GraphBuilder();
  const sx = 0.02 + rng() * 0.04;
  const sk = sx * (0.3 + rng() * 2);
  const x = b.tensor('x', c.shape, c.dtype, quant(sx, offset + randInt(rng, -20, 20)));
  const count = c.constantShape.reduce((a, d) => a * d, 1);
  const k = b.tensor('constant', c.constantShape, c.dtype, quant(sk, offset + randInt(rng, -20, 20)), randomBytes(rng, count, c.dtype));
  const so = c.op === 'MUL' ? sx * sk * (40 + rng() * 60) : c.op === 'SQUARED_DIFFERENCE' ? (sx + sk) ** 2 * (30 + rng() * 60) : (sx + sk) * (0.6 + rng() * 0.8);
  const y = b.tensor('y', c.shape, c.dtype, quant(so, offset + randInt(rng, -20, 20)));
  const options = ['ADD', 'SUB', 'MUL'].includes(c.op) ? { activation: c.activation } : {};
  b.op({ type: c.op, inputs: c.constantFirst ? [k, x] : [x, k], outputs: [y], options } as never);
  return b.build([x], [y], `${c.op} ${c.dtype} [${c.shape}] ${c.constantFirst ? `const [${c.constantShape}] first` : `const [${c.constantShape}] second`} ${c.activation}`);
}

/** Every byte in every channel: element (p, c) of the flattened rows holds (p + 37c) mod 256. */
export function everyByteInput(c: ConstantOperandCase): Int8Array | Uint8Array {
  const channels = c.shape.at(-1) ?? 1;
  const count = c.shape.reduce((a, d) => a * d, 1);
  const x = c.dtype === 'int8' ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) x[i] = (Math.floor(i / channels) + 37 * (i % channels)) & 0xff;
  return x;
}
