// The FlexBuffers map reader (custom_options of TFLite custom ops): what the `flatbuffers`
// package's own encoder writes (every slot width it picks, indirect and inline scalars), our small
// writer, the real SSD model's options, and hostile bytes, which must end in a ModelFormatError
// that names the problem, never a RangeError or a hang.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from 'flatbuffers/mjs/flexbuffers.js';
import { assetPath } from '../../src/assets-node.ts';
import { ModelFormatError } from '../../src/model/errors.ts';
import { encodeFlexbufferMap, readFlexbufferMap, type FlexValue } from '../../src/model/flexbuffer.ts';
import { TflModel } from '../../src/model/tflite-schema.ts';

const WHERE = 'operator 0 custom_options';
const plain = (m: Map<string, FlexValue>) => Object.fromEntries([...m].map(([k, v]) => [k, 'value' in v ? v.value : v.kind]));

describe('readFlexbufferMap', () => {
  it("reads what the flatbuffers package's encoder writes, at every width it chooses", () => {
    const cases: Record<string, unknown>[] = [
      { a: 1, b: -2, c: 0.5, d: true, e: false },
      // (Its 8-byte float slots are broken, its own toObject reads them back wrong: wide maps hold ints here.)
      { small: 7, wide: 70000, huge: 2 ** 40, neg: -(2 ** 33) },
      { f: 0.5, g: -0.25, big: 70000 },
      { nothing: null, name: 'text', list: [1, 2, 3], nested: { x: 1 } },
      {},
    ];
    for (const object of cases) {
      const got = plain(readFlexbufferMap(encode(object), WHERE));
      const expected = Object.fromEntries(
        Object.entries(object).map(([k, v]) => [k, v === null ? 'null' : typeof v === 'string' ? 'string' : Array.isArray(v) ? 'vector' : typeof v === 'object' ? 'map' : v]),
      );
      expect(got).toEqual(expected);
    }
  });

  it('reads its own writer (8-byte slots, keys sorted byte-wise whatever the insertion order)', () => {
    const m = readFlexbufferMap(encodeFlexbufferMap({ zeta: 3, alpha: { float: 2 }, mid: false, _under: 0.125 }), WHERE);
    expect([...m.keys()]).toEqual(['_under', 'alpha', 'mid', 'zeta']);
    expect(plain(m)).toEqual({ _under: 0.125, alpha: 2, mid: false, zeta: 3 });
    expect(m.get('alpha')).toEqual({ kind: 'float', value: 2 });
    expect(m.get('zeta')).toEqual({ kind: 'int', value: 3 });
  });

  it("reads the SSD MobileNet v1 model's options as the converter wrote them (4-byte slots, floats as float32)", () => {
    const bytes = new Uint8Array(readFileSync(assetPath('models/corpus/tfls_coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite')));
    const ops = TflModel.fromBytes(bytes).subgraphs().get(0).operators();
    const m = readFlexbufferMap(ops.get(ops.length - 1).customOptions()!, WHERE);
    expect(plain(m)).toEqual({
      _output_quantized: true,
      h_scale: 5,
      max_classes_per_detection: 1,
      max_detections: 10,
      nms_iou_threshold: Math.fround(0.6),
      nms_score_threshold: Math.fround(1e-8),
      num_classes: 90,
      w_scale: 5,
      x_scale: 10,
      y_scale: 10,
    });
  });

  it('refuses broken structure with a message that says what is wrong', () => {
    const good = encodeFlexbufferMap({ a: 1, b: 2 });
    const withByte = (pos: number, value: number) => {
      const copy = good.slice();
      copy[pos] = value;
      return copy;
    };
    const n = good.length;
    const refusals: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array([1, 2]), /2 bytes is too short/],
      [withByte(n - 1, 3), /root byte width 3 is not 1, 2, 4 or 8/],
      [withByte(n - 2, (1 << 2) | 3), /the root is of FlexBuffers type 1, not a map/],
      [withByte(n - 10, 0xff), /points before the start of the buffer/],
      [encode([1, 2]), /not a map/],
      [encode(5), /not a map/],
    ];
    for (const [bytes, message] of refusals) {
      expect(() => readFlexbufferMap(bytes, WHERE)).toThrow(ModelFormatError);
      expect(() => readFlexbufferMap(bytes, WHERE)).toThrow(message);
    }
    // Keys out of order: TFLite's binary search would miss them, so they are refused by name.
    const keys = Array.from(good.subarray(0, 4));
    expect(keys).toEqual([0x61, 0, 0x62, 0]);
    const swapped = good.slice();
    swapped[0] = 0x62;
    swapped[2] = 0x61;
    expect(() => readFlexbufferMap(swapped, WHERE)).toThrow(/key 'a' is not after 'b': keys must be sorted and unique/);
    expect(() => readFlexbufferMap(encodeFlexbufferMap({ ['k'.repeat(300)]: 1 }), WHERE)).toThrow(
      /operator 0 custom_options: key 0 at byte 0 is not NUL-terminated within 255 bytes/,
    );
  });

  it('fast-check: any truncation, any byte changes: a map or a ModelFormatError, never another error', () => {
    const base = encode({ max_detections: 10, nms_iou_threshold: 0.6, use_regular_nms: false, y_scale: 10.0, name: 'x', v: [1, 2] });
    const mustBeClean = (bytes: Uint8Array) => {
      try {
        readFlexbufferMap(bytes, WHERE);
      } catch (e) {
        if (!(e instanceof ModelFormatError)) throw e;
        expect(e.message.startsWith(`${WHERE}: `)).toBe(true);
      }
    };
    for (let k = 0; k <= base.length; k++) mustBeClean(base.slice(0, k));
    fc.assert(
      fc.property(fc.array(fc.record({ pos: fc.nat({ max: base.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }), (edits) => {
        const copy = base.slice();
        for (const e of edits) copy[e.pos] = e.value;
        mustBeClean(copy);
      }),
      { numRuns: 3000, seed: 42 },
    );
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => mustBeClean(bytes)), { numRuns: 3000, seed: 7 });
  });
});
