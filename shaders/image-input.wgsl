// An image texture → a model's input tensor, in the tensor's GPU layout (src/image/gpu-input.ts).
// One invocation per output word: 4 packed elements of an 8-bit tensor (padding bytes 0), or one
// float32 element. Each element is what src/image/preprocess.ts computes on the CPU for the same
// 8-bit RGB pixels, bit for bit:
// - resize: the CPU's bilinear blend runs in float64 (upper = tl·(1−fx) + tr·fx, likewise lower,
//   v = upper·(1−fy) + lower·fy, then Math.round), and exact .5 ties after its roundings decide
//   the 8-bit pixel. WGSL has no f64, so the same five operations run here in software IEEE
//   binary64 (round to nearest even; every value is finite, non-negative and normal or zero), on
//   the CPU's own float64 fractions (samplePositions, passed as bits in `taps`). Nearest takes the
//   CPU's source indices.
// - grayscale: round((r + g + b) / 3) = (r + g + b + 1) / 3 in integers (a third is never a tie).
// - encoding: `table[c·256 + p]`, the CPU encoder's value for each pixel value and channel, as the
//   GPU layout's byte (uint8 with its top bit flipped) or the f32 bits.
//
// Most pixels skip the software float64: the exact blend is V / D with integers
// V = (tl·(dx − nx) + tr·nx)·(dy − ny) + (bl·(dx − nx) + br·nx)·ny, D = dx·dy, where nx / dx and
// ny / dy are the exact fractions. The CPU's float64 value differs from V / D by under 2^−27
// (its fractions lie within 2^−38 of exact for sources up to 2^14 pixels, each weighs at most
// 2·255, and the five roundings add about 2^−42), while a V / D that is not a tie lies at least
// 1 / (2D) > 2^−24 from every k + 1/2: so unless V / D is exactly a tie, Math.round gives
// round(V / D) = (2V + D) / (2D). Exact ties take the float64 path, where the CPU's roundings
// decide. The host enables this (params.exact) only where 511·D < 2^32 and the source is at most
// 2^14 pixels wide and high.
//
// Bilinear runs as three dispatches, since software adapters execute every branch of a shader
// whatever the lanes take (the float64 code, present but skipped, made a 224×224 RGB input cost
// 500 ms on SwiftShader, against 22 ms without it):
// - FIRST_PASS: every word with the exact blend; a word with a tie (or every word, without
//   params.exact) is appended to `ties` (ties[0] the count, ties[4..] the word indices).
// - ARGS_PASS: one invocation turns the count into the indirect dispatch size at ties[1..3].
// - TIE_PASS: the listed words again, ties through the float64 path.
// Nearest is one dispatch (NEAREST, none of the three flags).
//
// taps: per output column x, then per output row y (at 10·out_w + 10·y):
//   [lo, hi, n (exact numerator), 0, frac (3 words: mantissa high, mantissa low, exponent),
//    1 − frac (3 words)]
// Nearest uses lo only.

struct Params {
  words: u32,
  out_w: u32,
  out_h: u32,
  channels: u32,
  inner: u32,
  padded: u32,
  nchw: u32,
  // 1 where the exact integer blend decides non-tie pixels (see above), with dx and dy.
  exact: u32,
  dx: u32,
  dy: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
  pad3: u32,
  pad4: u32,
};

@group(0) @binding(0) var source: texture_2d<f32>;
@group(0) @binding(1) var<storage, read> taps: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read_write> output: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;
#if {{FIRST_PASS}}
@group(0) @binding(5) var<storage, read_write> ties: array<atomic<u32>>;
// Set by resized when a pixel of this invocation's word is an exact tie.
var<private> tie_found: bool;
#elif {{ARGS_PASS}}
@group(0) @binding(5) var<storage, read_write> ties: array<u32>;
#elif {{TIE_PASS}}
@group(0) @binding(5) var<storage, read> ties: array<u32>;
#endif

// A non-negative binary64 value m · 2^e, m = hi · 2^32 + lo of 53 bits (2^52 ≤ m < 2^53), or
// zero (m = 0).
struct F64 {
  hi: u32,
  lo: u32,
  e: i32,
};

fn f64_at(i: u32) -> F64 {
  return F64(taps[i], taps[i + 1u], bitcast<i32>(taps[i + 2u]));
}

// w += v · 2^(32·at), v a 64-bit (low, high) pair; w is 128 bits, little-endian words.
fn add_at(w: vec4<u32>, v: vec2<u32>, at: u32) -> vec4<u32> {
  var r = w;
  var carry = 0u;
  for (var k = 0u; k < 4u; k++) {
    var add = carry;
    carry = 0u;
    if (k == at) {
      add = add + v.x;
      if (add < v.x) {
        carry = 1u;
      }
    } else if (k == at + 1u) {
      add = add + v.y;
      if (add < v.y) {
        carry = 1u;
      }
    }
    let s = r[k] + add;
    if (s < add) {
      carry = carry + 1u;
    }
    r[k] = s;
  }
  return r;
}

fn bit_length(w: vec4<u32>) -> u32 {
  for (var k = 3; k >= 0; k--) {
    if (w[k] != 0u) {
      return u32(k) * 32u + 32u - countLeadingZeros(w[k]);
    }
  }
  return 0u;
}

// w << s for s < 128.
fn shift_left(w: vec4<u32>, s: u32) -> vec4<u32> {
  let words = s / 32u;
  let bits = s % 32u;
  var r = vec4<u32>(0u);
  for (var k = 3; k >= 0; k--) {
    let src = k - i32(words);
    if (src < 0) {
      continue;
    }
    var v = w[src] << bits;
    if (bits != 0u && src >= 1) {
      v = v | (w[src - 1] >> (32u - bits));
    }
    r[k] = v;
  }
  return r;
}

// w >> s for s < 128.
fn shift_right(w: vec4<u32>, s: u32) -> vec4<u32> {
  let words = s / 32u;
  let bits = s % 32u;
  var r = vec4<u32>(0u);
  for (var k = 0; k < 4; k++) {
    let src = k + i32(words);
    if (src > 3) {
      continue;
    }
    var v = w[src] >> bits;
    if (bits != 0u && src + 1 <= 3) {
      v = v | (w[src + 1] << (32u - bits));
    }
    r[k] = v;
  }
  return r;
}

// Whether any of the low `n` bits of w is set (n ≤ 128).
fn any_below(w: vec4<u32>, n: u32) -> bool {
  for (var k = 0u; k < 4u; k++) {
    let start = k * 32u;
    if (start >= n) {
      break;
    }
    let count = min(n - start, 32u);
    var mask = 0xffffffffu;
    if (count < 32u) {
      mask = (1u << count) - 1u;
    }
    if ((w[k] & mask) != 0u) {
      return true;
    }
  }
  return false;
}

// The binary64 value nearest w · 2^e (ties to even), w < 2^127.
fn round_f64(w: vec4<u32>, e: i32) -> F64 {
  let length = bit_length(w);
  if (length == 0u) {
    return F64(0u, 0u, 0);
  }
  if (length <= 53u) {
    let m = shift_left(w, 53u - length);
    return F64(m.y, m.x, e - i32(53u - length));
  }
  let s = length - 53u;
  let q = shift_right(w, s);
  var hi = q.y;
  var lo = q.x;
  var exponent = e + i32(s);
  let half = (w[(s - 1u) / 32u] >> ((s - 1u) % 32u)) & 1u;
  if (half == 1u && (any_below(w, s - 1u) || (lo & 1u) == 1u)) {
    lo = lo + 1u;
    if (lo == 0u) {
      hi = hi + 1u;
    }
    if (hi == 0x200000u) {
      hi = 0x100000u;
      exponent = exponent + 1;
    }
  }
  return F64(hi, lo, exponent);
}

// p · a for an integer p < 2^16, rounded once.
fn mul_int(p: u32, a: F64) -> F64 {
  var w = vec4<u32>(0u);
  w = add_at(w, umul64(a.lo, p), 0u);
  w = add_at(w, umul64(a.hi, p), 1u);
  return round_f64(w, a.e);
}

fn mul_f64(a: F64, b: F64) -> F64 {
  var w = vec4<u32>(0u);
  w = add_at(w, umul64(a.lo, b.lo), 0u);
  w = add_at(w, umul64(a.hi, b.lo), 1u);
  w = add_at(w, umul64(a.lo, b.hi), 1u);
  w = add_at(w, umul64(a.hi, b.hi), 2u);
  return round_f64(w, a.e + b.e);
}

fn is_zero(a: F64) -> bool {
  return a.hi == 0u && a.lo == 0u;
}

fn add_f64(x: F64, y: F64) -> F64 {
  if (is_zero(x)) {
    return y;
  }
  if (is_zero(y)) {
    return x;
  }
  var a = x;
  var b = y;
  if (b.e > a.e) {
    a = y;
    b = x;
  }
  let d = u32(a.e - b.e);
  // b < 2^(b.e + 53) ≤ 2^(a.e − 1), under half an ulp of a: the sum rounds to a.
  if (d >= 54u) {
    return a;
  }
  var w = shift_left(vec4<u32>(a.lo, a.hi, 0u, 0u), d);
  w = add_at(w, vec2<u32>(b.lo, b.hi), 0u);
  return round_f64(w, b.e);
}

// Math.round of a non-negative value below 2^31: nearest integer, halves up.
fn round_half_up(a: F64) -> u32 {
  if (is_zero(a)) {
    return 0u;
  }
  // m ≥ 2^52, so a value below 2^31 has e < 0.
  let s = u32(-a.e);
  // a < 2^(53 − s) ≤ 1/2.
  if (s >= 54u) {
    return 0u;
  }
  let half = shift_left(vec4<u32>(1u, 0u, 0u, 0u), s - 1u);
  let sum = add_at(vec4<u32>(a.lo, a.hi, 0u, 0u), half.xy, 0u);
  return shift_right(sum, s).x;
}

// The 8-bit RGB of one source texel.
fn texel(x: u32, y: u32) -> vec3<u32> {
  return vec3<u32>(round(textureLoad(source, vec2<u32>(x, y), 0).rgb * 255.0));
}

// The resized 8-bit RGB of output pixel (x, y): four texel loads, then per channel the exact
// integer blend, or the float64 one where that is a tie.
fn resized(x: u32, y: u32) -> vec3<u32> {
  let cx = 10u * x;
  let cy = 10u * (params.out_w + y);
#if {{NEAREST}}
  return texel(taps[cx], taps[cy]);
#else
  let x0 = taps[cx];
  let x1 = taps[cx + 1u];
  let rows = vec2<u32>(taps[cy], taps[cy + 1u]);
  // tl, tr, bl, br. Loops rather than repeated calls keep one copy of each helper in the
  // compiled shader (software adapters compile every inlined copy).
  var p: array<vec3<u32>, 4>;
  for (var k = 0u; k < 4u; k++) {
    p[k] = texel(select(x0, x1, (k & 1u) == 1u), rows[k / 2u]);
  }
  var out = vec3<u32>(0u);
  for (var c = 0u; c < 3u; c++) {
    let q = vec4<u32>(p[0][c], p[1][c], p[2][c], p[3][c]);
    if (params.exact == 1u) {
      let nx = taps[cx + 2u];
      let ny = taps[cy + 2u];
      let v = (q.x * (params.dx - nx) + q.y * nx) * (params.dy - ny) + (q.z * (params.dx - nx) + q.w * nx) * ny;
      let d = params.dx * params.dy;
      if ((2u * v) % (2u * d) != d) {
        out[c] = (2u * v + d) / (2u * d);
        continue;
      }
    }
#if {{FIRST_PASS}}
    // Left for the tie pass, which rewrites the whole word.
    tie_found = true;
#else
    let fx = f64_at(cx + 4u);
    let gx = f64_at(cx + 7u);
    // v = upper·(1 − fy) + lower·fy, accumulated from zero (0 + c = c exactly).
    var v = F64(0u, 0u, 0);
    for (var r = 0u; r < 2u; r++) {
      let blend = add_f64(mul_int(q[2u * r], gx), mul_int(q[2u * r + 1u], fx));
      v = add_f64(v, mul_f64(blend, f64_at(cy + select(7u, 4u, r == 1u))));
    }
    out[c] = round_half_up(v);
#endif
  }
  return out;
#endif
}

// Plain element `element` of the [1, H, W, C] or [1, C, H, W] tensor: its table entry. The
// elements of one word often share a pixel (NHWC RGB), so the last pixel's RGB is kept.
struct Cache {
  pixel: u32,
  rgb: vec3<u32>,
};

fn encoded(element: u32, cache: ptr<function, Cache>) -> u32 {
  let pixels = params.out_w * params.out_h;
  var c = 0u;
  var pixel = 0u;
  if (params.nchw == 1u) {
    c = element / pixels;
    pixel = element % pixels;
  } else {
    c = element % params.channels;
    pixel = element / params.channels;
  }
  if ((*cache).pixel != pixel) {
    (*cache).pixel = pixel;
    (*cache).rgb = resized(pixel % params.out_w, pixel / params.out_w);
  }
  let rgb = (*cache).rgb;
  var value = rgb[c];
  if (params.channels == 1u) {
    value = (rgb.r + rgb.g + rgb.b + 1u) / 3u;
  }
  return table[c * 256u + value];
}

// The output word `index`: 4 packed elements, or one float32 element.
fn word_at(index: u32) -> u32 {
  var cache = Cache(0xffffffffu, vec3<u32>(0u));
#if {{EIGHT_BIT}}
  var word = 0u;
  for (var k = 0u; k < 4u; k++) {
    let flat = 4u * index + k;
    let i = flat % params.padded;
    if (i < params.inner) {
      word = word | ((encoded((flat / params.padded) * params.inner + i, &cache) & 0xffu) << (8u * k));
    }
  }
  return word;
#else
  return encoded(index, &cache);
#endif
}

#if {{ARGS_PASS}}
@compute @workgroup_size(1)
fn main() {
  let groups = (ties[0] + {{WORKGROUP_SIZE}}u - 1u) / {{WORKGROUP_SIZE}}u;
  let x = min(groups, {{MAX_WORKGROUPS}}u);
  ties[1] = x;
  ties[2] = (groups + max(x, 1u) - 1u) / max(x, 1u);
  ties[3] = 1u;
}
#else
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  var index = linear_index(gid, nwg);
#if {{TIE_PASS}}
  if (index >= ties[0]) {
    return;
  }
  index = ties[4u + index];
#else
  if (index >= params.words) {
    return;
  }
#endif
  output[index] = word_at(index);
#if {{FIRST_PASS}}
  if (tie_found) {
    let slot = atomicAdd(&ties[0], 1u);
    atomicStore(&ties[4u + slot], index);
  }
#endif
}
#endif
