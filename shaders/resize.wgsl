// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR (src/kernels/resize.ts). One invocation per output
// word: 4 packed channels of an 8-bit tensor (int8 domain), or one 32-bit element. Source rows,
// columns and weights come per output row and column from `taps`, computed on the host by the
// CPU reference's own functions, so the coordinates are the reference's by construction:
//   taps = [y_lo (out_h), y_hi (out_h), y_w (out_h), x_lo (out_w), x_hi (out_w), x_w (out_w)]
// Weights: Q11 (XNNPACK's 11-bit fixed point, linear in the values, so exact in the int8
// domain); TFLITE_INT (reference_ops ResizeBilinearInteger: d = scaled − 1024·lo, int8 only);
// FLOAT (XNNPACK's float alpha, f32 bits); TFLITE_FLOAT (reference_ops' fractions, f32 bits).

struct Params {
  total: u32,
  words: u32,
  in_h: u32,
  in_w: u32,
  out_h: u32,
  out_w: u32,
  pad0: u32,
  pad1: u32,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<storage, read> taps: array<i32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let words = params.words;
  let oh = params.out_h;
  let ow = params.out_w;
  let c = index % words;
  var r = index / words;
  let x = r % ow;
  r = r / ow;
  let y = r % oh;
  let b = r / oh;
  let y0 = u32(taps[y]);
  let x0 = u32(taps[3u * oh + x]);
  let row0 = (b * params.in_h + y0) * params.in_w;
#if {{NEAREST}}
  output[index] = input[(row0 + x0) * words + c];
#else
  let y1 = u32(taps[oh + y]);
  let x1 = u32(taps[3u * oh + ow + x]);
  let wy = taps[2u * oh + y];
  let wx = taps[3u * oh + 2u * ow + x];
  let row1 = (b * params.in_h + y1) * params.in_w;
  let tl = input[(row0 + x0) * words + c];
  let tr = input[(row0 + x1) * words + c];
  let bl = input[(row1 + x0) * words + c];
  let br = input[(row1 + x1) * words + c];
#if {{Q11}}
  let vtl = unpack_i8x4(tl);
  let vbl = unpack_i8x4(bl);
  let vt = vtl * 2048 + (unpack_i8x4(tr) - vtl) * wx;
  let vb = vbl * 2048 + (unpack_i8x4(br) - vbl) * wx;
  let acc = vt * 2048 + (vb - vt) * wy;
  output[index] = pack_i8x4((acc + vec4<i32>(0x200000)) >> vec4<u32>(22u));
#elif {{TFLITE_INT}}
  // Below 2^7 · 2^11 · 2^11 in magnitude: no i32 overflow.
  let sum = unpack_i8x4(tl) * ((1024 - wy) * (1024 - wx)) + unpack_i8x4(bl) * (wy * (1024 - wx))
    + unpack_i8x4(tr) * ((1024 - wy) * wx) + unpack_i8x4(br) * (wy * wx);
  let round = select(vec4<i32>(-(1 << 19)), vec4<i32>(1 << 19), sum > vec4<i32>(0));
  // i32 division truncates toward zero, as C++'s.
  output[index] = pack_i8x4((sum + round) / vec4<i32>(1 << 20));
#elif {{FLOAT}}
  let ax = bitcast<f32>(wx);
  let ay = bitcast<f32>(wy);
  let ftl = bitcast<f32>(tl);
  let fbl = bitcast<f32>(bl);
  let vt = ftl + (bitcast<f32>(tr) - ftl) * ax;
  let vb = fbl + (bitcast<f32>(br) - fbl) * ax;
  output[index] = bitcast<u32>(vt + (vb - vt) * ay);
#else
  let fy = bitcast<f32>(wy);
  let fx = bitcast<f32>(wx);
  let gy = 1.0 - fy;
  let gx = 1.0 - fx;
  let v = bitcast<f32>(tl) * gy * gx + bitcast<f32>(bl) * fy * gx + bitcast<f32>(tr) * gy * fx + bitcast<f32>(br) * fy * fx;
  output[index] = bitcast<u32>(v);
#endif
#endif
}
