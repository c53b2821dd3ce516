// Hand-built BMP files for decoder tests: the bytes are laid out explicitly so that the tests
// check the decoder against the format, not against another decoder.

export interface BmpSpec {
  width: number;
  /** Rows top-down as the viewer sees them; each pixel [r, g, b] (or a palette index for 8-bit). */
  rows: number[][][] | number[][];
  bitsPerPixel: 8 | 24 | 32;
  topDown?: boolean;
  /** For 8-bit: palette entries [r, g, b]. */
  palette?: number[][];
  /** For 32-bit: BI_BITFIELDS with these masks (r, g, b) instead of BI_RGB BGRX. */
  masks?: [number, number, number];
}

export function buildBmp(spec: BmpSpec): Uint8Array {
  const { width, bitsPerPixel } = spec;
  const height = spec.rows.length;
  const stride = Math.floor((bitsPerPixel * width + 31) / 32) * 4;
  const paletteBytes = bitsPerPixel === 8 ? (spec.palette?.length ?? 0) * 4 : 0;
  const maskBytes = spec.masks ? 12 : 0;
  const pixelOffset = 14 + 40 + maskBytes + paletteBytes;
  const size = pixelOffset + stride * height;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x42; // 'B'
  bytes[1] = 0x4d; // 'M'
  view.setUint32(2, size, true);
  view.setUint32(10, pixelOffset, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, spec.topDown ? -height : height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, bitsPerPixel, true);
  view.setUint32(30, spec.masks ? 3 : 0, true);
  view.setUint32(34, stride * height, true);
  view.setUint32(46, bitsPerPixel === 8 ? (spec.palette?.length ?? 0) : 0, true);
  let p = 54;
  if (spec.masks) {
    for (const m of spec.masks) {
      view.setUint32(p, m >>> 0, true);
      p += 4;
    }
  }
  for (const [r, g, b] of spec.palette ?? []) {
    bytes[p++] = b;
    bytes[p++] = g;
    bytes[p++] = r;
    bytes[p++] = 0;
  }
  for (let y = 0; y < height; y++) {
    const fileRow = spec.topDown ? y : height - 1 - y;
    let o = pixelOffset + fileRow * stride;
    for (let x = 0; x < width; x++) {
      const px = spec.rows[y][x];
      if (bitsPerPixel === 8) {
        bytes[o++] = px as number;
      } else {
        const [r, g, b] = px as number[];
        if (bitsPerPixel === 24) {
          bytes[o++] = b;
          bytes[o++] = g;
          bytes[o++] = r;
        } else if (spec.masks) {
          // Test layout: masks R=0x0000ff00... built by the caller; write r,g,b into those fields.
          const [mr, mg, mb] = spec.masks;
          const put = (value: number, mask: number) => {
            let shift = 0;
            while (((mask >>> shift) & 1) === 0) shift++;
            return (value << shift) >>> 0;
          };
          view.setUint32(o, (put(r, mr) | put(g, mg) | put(b, mb)) >>> 0, true);
          o += 4;
        } else {
          bytes[o++] = b;
          bytes[o++] = g;
          bytes[o++] = r;
          bytes[o++] = 0xaa; // unused X byte must be ignored
        }
      }
    }
  }
  return bytes;
}
