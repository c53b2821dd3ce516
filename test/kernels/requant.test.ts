// The WGSL requantization (16-bit-limb 64-bit product, nudge, rounding shift) against exact
// BigInt models of gemmlowp/TFLite, on edge cases and random values, in both dot4 modes' shader
// builds (the helpers are shared, so one build suffices) on the Node software adapter.
import { describe, expect, it } from 'vitest';
import commonSource from '../../shaders/common.wgsl?raw';
import wideIntSource from '../../shaders/wide-int.wgsl?raw';
import { renderShader } from '../../src/kernels/shader.ts';
import { testContext } from '../helpers/gpu.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { multiplyByQuantizedMultiplierExact, roundingDivideByPOTExact, srdhmExact } from '../quant/exact.ts';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const KERNEL = `
@group(0) @binding(0) var<storage, read> cases: array<vec4<i32>>;
@group(0) @binding(1) var<storage, read_write> results: array<vec4<i32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= arrayLength(&cases)) { return; }
  let c = cases[i];
  // x = c.x, multiplier = c.y, shift = c.z (clamped to the exponent range for the POT division)
  results[i] = vec4<i32>(
    srdhm(c.x, c.y),
    rounding_divide_by_pot(c.x, u32(clamp(c.z, 0, 31))),
    multiply_by_quantized_multiplier(c.x, c.y, c.z),
    bitcast<i32>(i32_to_f32_rne(c.x)));
}`;

async function runCases(cases: Int32Array): Promise<Int32Array> {
  const ctx = await testContext();
  const { device } = ctx;
  const code = wideIntSource + renderShader(commonSource, { DOT4: ctx.useDot4, WORKGROUP_SIZE: 64, FLOAT_REQUANT: false, RUY_REQUANT: false, EXACT_SUMS: false, BYTE_TABLE: false }) + KERNEL;
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const input = device.createBuffer({ size: cases.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(input, 0, cases as Int32Array<ArrayBuffer>);
  const output = device.createBuffer({ size: cases.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: cases.byteLength, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: input } }, { binding: 1, resource: { buffer: output } }],
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(Math.ceil(cases.length / 4 / 64));
  pass.end();
  encoder.copyBufferToBuffer(output, 0, read, 0, cases.byteLength);
  device.queue.submit([encoder.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const result = new Int32Array(read.getMappedRange().slice(0));
  read.unmap();
  for (const b of [input, output, read]) b.destroy();
  return result;
}

function edgeAndRandomCases(): Array<[number, number, number]> {
  const cases: Array<[number, number, number]> = [];
  // 2^24 + 1 and neighbours: the first integers float32 cannot hold, with ties both ways.
  const specials = [INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX, INT32_MAX - 1, 1 << 30, -(1 << 30), 3, -3, 0x12345678, -0x12345678, 16777217, -16777217, 16777219, 33554438, -33554438, 0x7fffffc0, 0x7fffffbf];
  const multipliers = [INT32_MIN, INT32_MAX, 1 << 30, (1 << 30) + 1, 0x7fffff00, 1518500250, 1073741824, 0];
  for (const x of specials) for (const m of multipliers) for (const shift of [-31, -1, 0, 1]) cases.push([x, m, shift]);
  // Every shift −31..30 and ties: x = ±(2k+1)·2^(e−1) lands exactly on .5 after the division.
  for (let shift = -31; shift <= 30; shift++) {
    for (const x of [5, -5, 1000003, -1000003, 1 << 20, -(1 << 20)]) cases.push([x, 1 << 30, shift]);
  }
  for (let e = 1; e <= 31; e++) {
    const half = e === 31 ? 1 << 30 : 1 << (e - 1);
    cases.push([half, 0, e], [-half, 0, e]);
    if (3 * half <= INT32_MAX) cases.push([3 * half, 0, e], [-3 * half, 0, e]);
  }
  const rng = mulberry32(20261127);
  const r32 = () => (Math.floor(rng() * 2 ** 32) | 0);
  for (let i = 0; i < 4000; i++) cases.push([r32(), r32(), Math.floor(rng() * 62) - 31]);
  return cases;
}

describe('WGSL requantization equals the exact BigInt model', () => {
  it('srdhm, rounding_divide_by_pot, multiply_by_quantized_multiplier and i32_to_f32_rne on edge cases and 4000 random inputs', async () => {
    const cases = edgeAndRandomCases();
    const packed = new Int32Array(cases.length * 4);
    cases.forEach(([x, m, s], i) => packed.set([x, m, s, 0], i * 4));
    const got = await runCases(packed);
    const mismatches: string[] = [];
    cases.forEach(([x, m, s], i) => {
      const exponent = Math.min(31, Math.max(0, s));
      const expected = [
        srdhmExact(x, m),
        roundingDivideByPOTExact(x, exponent),
        multiplyByQuantizedMultiplierExact(x, m, s),
        // JS rounds int → float32 to nearest, ties to even: the C cast XNNPACK relies on.
        new Int32Array(new Float32Array([x]).buffer)[0]!,
      ];
      for (let k = 0; k < 4; k++) {
        if (got[i * 4 + k] !== expected[k]) mismatches.push(`fn${k}(${x}, ${m}, ${s}) = ${got[i * 4 + k]}, expected ${expected[k]}`);
      }
    });
    expect(mismatches.slice(0, 10)).toEqual([]);
  });
});
