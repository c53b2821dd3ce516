// The `octet` command end to end, through the built bundle (bin/octet.mjs rebuilds it when stale):
// exit codes, one-line errors, and outputs checked against the shared TFLite reference.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { vulkanDriverInstalled } from '../../src/gpu/node-gpu.ts';
import { SCALE, tinyYolo } from '../helpers/task-models.ts';
import { withOpCodes } from '../helpers/tflite-bytes.ts';
import { octet } from './helpers.ts';

// The model tests run the int8 GPU program; error paths that fail before running use the CPU reference.
const BACKEND = 'gpu';

const model = (...parts: string[]) => assetPath('models', ...parts);
const HELLO = model('tflite-micro', 'hello_world_int8.tflite');
const RESNET = model('mlperf-tiny', 'pretrainedResnet_quant.tflite');
const MOBILENET = model('tflite-support', 'mobilenet_v1_0.25_224_quant.tflite');
const vector = (name: string) => assetPath('reference', 'vectors', name);
const tmp = mkdtempSync(join(tmpdir(), 'octet-cli-'));

beforeAll(async () => {
  // Builds dist/ once up front if the sources moved, so later calls do not race to rebuild.
  const r = await octet(['--version']);
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

describe('octet doctor', () => {
  it('prints the capability report as JSON and exits 0', async () => {
    const r = await octet(['doctor', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['adapter', 'features', 'wgslLanguageFeatures', 'limits', 'paths']));
    expect(report.adapter.backend).toMatch(/^dawn-/);
    expect(report.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(report.paths.dot4I8Packed).toBe(report.wgslLanguageFeatures.includes('packed_4x8_integer_dot_product'));
    // No Vulkan driver on a machine without a GPU: Dawn's default route is not probed, so Dawn has
    // nothing to warn about.
    if (!vulkanDriverInstalled()) expect(r.stderr).not.toMatch(/vkCreateInstance|Found no drivers/);
  });

  it('skips the Vulkan default route only when no Vulkan driver can be found', () => {
    expect(vulkanDriverInstalled({ VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json' })).toBe(true);
    expect(vulkanDriverInstalled({ XDG_DATA_DIRS: join(tmp, 'none'), XDG_CONFIG_DIRS: join(tmp, 'none'), HOME: tmp })).toBe(existsSync('/etc/vulkan/icd.d') && readdirSync('/etc/vulkan/icd.d').some((f) => f.endsWith('.json')));
  });

  it('exits 2 with what to install when no adapter is found', async () => {
    // An ICD list naming no file leaves the Vulkan loader with no driver at all.
    const r = await octet(['doctor', '--backend', 'default'], { VK_ICD_FILENAMES: join(tmp, 'no-such-icd.json') });
    expect(r.code).toBe(2);
    expect(r.errorLines).toHaveLength(1);
    expect(r.errorLines[0]).toMatch(/^octet: no WebGPU adapter found.*apt-get install/);
  });
});

describe('octet inspect', () => {
  it('summarizes ops and int8 versus float32 weight bytes', async () => {
    const r = await octet(['inspect', HELLO]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/FULLY_CONNECTED\s+3/);
    expect(r.stdout).toContain('weights: 420 B stored, 1.3 KiB as float32');
    const json = JSON.parse((await octet(['inspect', HELLO, '--json'])).stdout);
    expect(json).toMatchObject({ name: 'hello_world_int8', opCount: 3, weightBytesStored: 420, weightBytesFloat32: 321 * 4 });
    expect(json.inputs[0]).toMatchObject({ shape: [1, 1], dtype: 'int8' });
  });
});

describe('octet inspect shows the TFLite Support metadata', () => {
  it('normalization, boxes and packed files of SSD MobileNet v1; none for a model without', async () => {
    const r = await octet(['inspect', model('corpus', 'tfls_coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite')]);
    expect(r.code, r.stderr).toBe(0);
    const tail = r.stdout.slice(r.stdout.indexOf('\nmetadata: '));
    expect(tail).toContain('metadata: Coco SSD MobileNetV1, version v1, by TensorFlow');
    expect(tail).toContain("input 0 'image', image RGB, normalization mean [127.5] std [127.5]");
    expect(tail).toContain("output 0 'locations', boxes BOUNDARIES RATIO order [1,0,3,2]");
    expect(tail).toContain("output 1 'classes', TENSOR_VALUE_LABELS labelmap.txt");
    expect(tail).toMatch(/packed files: labelmap\.txt \(\d+ B\)/);
    const json = JSON.parse((await octet(['inspect', HELLO, '--json'])).stdout);
    expect(json.metadata).toBeNull();
  });
});

describe('octet inspect on a model Octet cannot run', () => {
  // ResNet-8 with three of its operator codes rewritten to ops Octet has no kernel for: the
  // corpus models all load now, and a real model's refusal list would shrink with every new op.
  const UNSUPPORTED = ['LSTM', 'SVDF', 'DYNAMIC_UPDATE_SLICE'];
  const PATCHED = join(tmp, 'resnet8-three-unsupported.tflite');
  beforeAll(() => {
    // operator_codes entries 2, 3, 5 are AVERAGE_POOL_2D, RESHAPE and SOFTMAX (one operator each).
    writeFileSync(PATCHED, withOpCodes(new Uint8Array(readFileSync(RESNET)), { 2: 16, 3: 27, 5: 151 }));
  });

  it('exits 0 listing every operator with where it would run, and names all unsupported ops', async () => {
    const r = await octet(['inspect', PATCHED]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`not supported: ${UNSUPPORTED.join(', ')} (3 of 16 operators)`);
    expect(r.stdout).toMatch(/\n0\s+CONV_2D\s+\d+\s+int8 GPU\n/);
    expect(r.stdout).toMatch(/\n12\s+LSTM\s+\d+\s+not supported\s+Octet has no kernel for this op\n/);
    const json = JSON.parse((await octet(['inspect', PATCHED, '--json'])).stdout);
    expect(json.unsupportedOps).toEqual(UNSUPPORTED);
    expect(json.operators).toHaveLength(16);
    expect(json.operators[14]).toMatchObject({ index: 14, op: 'FULLY_CONNECTED' });
    expect(json.operators[14].runsOn).not.toBe('not supported');
  });

  it('octet run refuses it in one line naming every unsupported op', async () => {
    const r = await octet(['run', PATCHED, '--input', vector('hello_world_int8__x1.input.bin'), '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.errorLines).toHaveLength(1);
    expect(r.errorLines[0]).toMatch(new RegExp(`^octet: .*resnet8-three-unsupported.tflite: unsupported ops ${UNSUPPORTED.join(', ')} \\(3 operators\\): `));
    for (const name of UNSUPPORTED) expect(r.errorLines[0]).toContain(`${name} (version`);
  });
});

describe('octet run', () => {
  it('hello_world_int8 on the GPU writes the reference output byte', async () => {
    const out = join(tmp, 'hello.bin');
    const r = await octet(['run', HELLO, '--input', vector('hello_world_int8__x1.input.bin'), '--output', out, '--backend', 'gpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(new Int8Array(readFileSync(out).buffer)).toEqual(new Int8Array(readFileSync(vector('hello_world_int8__x1.output.bin')).buffer));
  });

  it('ResNet-8 output equals TFLite on a reference vector, byte for byte', async () => {
    const out = join(tmp, 'resnet.bin');
    const name = 'pretrainedResnet_quant__lippizaner_s_000613';
    const r = await octet(['run', RESNET, '--input', vector(`${name}.input.bin`), '--output', out, '--backend', BACKEND]);
    expect(r.code, r.stderr).toBe(0);
    const got = new Int8Array(readFileSync(out));
    const expected = new Int8Array(readFileSync(vector(`${name}.output.bin`)));
    expect(got.length).toBe(10);
    expect(Array.from(got)).toEqual(Array.from(expected));
  });

  it('refuses an input of the wrong size with one line naming shape, dtype and bytes', async () => {
    const r = await octet(['run', RESNET, '--input', vector('hello_world_int8__x1.input.bin'), '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.errorLines).toHaveLength(1);
    expect(r.errorLines[0]).toMatch(/1 bytes, but input '.*' int8 \[1,32,32,3\] needs .*3072 bytes/);
  });
});

describe('octet classify', () => {
  it('finds the cheeseburger with mobilenet_v1_0.25_224_quant', async () => {
    const r = await octet(['classify', MOBILENET, assetPath('images', 'tflite-support', 'burger.jpg'), '--top', '3', '--json', '--backend', BACKEND]);
    expect(r.code, r.stderr).toBe(0);
    const { results } = JSON.parse(r.stdout);
    expect(results).toHaveLength(1);
    expect(results[0].top).toHaveLength(3);
    expect(results[0].top[0]).toMatchObject({ index: 934, label: 'cheeseburger' });
    // The score is TFLite's own output for the same image (the reference vector was preprocessed the
    // same way: whole-image bilinear resize, uint8 pixels), dequantized with the output's 1/256 scale.
    const tflite = readFileSync(vector('mobilenet_v1_0.25_224_quant__burger.output.bin'));
    expect(results[0].top[0].score).toBe(tflite[934]! / 256);
  });

  it('a classifier that carries metadata, renamed, keeps its own preprocessing and packed labels', async () => {
    const burger = assetPath('images', 'tflite-support', 'burger.jpg');
    const renamed = join(tmp, 'never_seen_classifier.tflite');
    copyFileSync(MOBILENET, renamed);
    const own = await octet(['classify', MOBILENET, burger, '--json', '--backend', 'cpu']);
    const other = await octet(['classify', renamed, burger, '--json', '--backend', 'cpu']);
    expect(own.code, own.stderr).toBe(0);
    expect(other.code, other.stderr).toBe(0);
    const [a, b] = [JSON.parse(own.stdout), JSON.parse(other.stdout)];
    expect(b).toMatchObject({ model: 'never_seen_classifier', recipe: 'metadata: uint8 pixel', recipeSource: 'metadata', labelsSource: 'metadata (labels.txt)' });
    expect(a).toMatchObject({ recipeSource: 'metadata', labelsSource: 'metadata (labels.txt)' });
    expect(b.results[0].top).toEqual(a.results[0].top);
    // The packed list has the short names (the class-count default would give 'tench, Tinca tinca' style ones).
    const short = readFileSync(assetPath('labels', 'labels_mobilenet_quant_v1_224.txt'), 'utf8').split('\n');
    for (const p of b.results[0].top) expect(p.label).toBe(short[p.index]);
    const text = await octet(['classify', renamed, burger, '--backend', 'cpu']);
    expect(text.stdout.trim().split('\n').at(-1)).toBe("(input: metadata: uint8 pixel, from the model's metadata; labels: metadata (labels.txt))");
  });

  it('rejects a corrupt image with exit 1 and the file in the message', async () => {
    const corrupt = join(tmp, 'truncated.jpg');
    writeFileSync(corrupt, readFileSync(assetPath('images', 'tflite-support', 'burger.jpg')).subarray(0, 2000));
    const r = await octet(['classify', MOBILENET, corrupt, '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.errorLines).toHaveLength(1);
    expect(r.errorLines[0].startsWith(`octet: ${corrupt}: corrupt or truncated JPEG`)).toBe(true);
  });

  it('reports a missing model file', async () => {
    const missing = join(tmp, 'missing.tflite');
    const r = await octet(['classify', missing, assetPath('images', 'tflite-support', 'burger.jpg'), '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.errorLines).toEqual([`octet: model file not found: ${missing}`]);
  });
});

describe('octet eval', () => {
  it('reproduces the reference top-1/top-5 on the first 20 CIFAR-10 items', async () => {
    const dataset = assetPath('eval', 'cifar10-mlperf-ic01');
    const r = await octet(['eval', RESNET, '--dataset', dataset, '--limit', '20', '--json', '--backend', BACKEND]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(Object.keys(result).sort()).toEqual(['backend', 'dataset', 'model', 'n', 'seconds', 'top1', 'top5']);
    expect(result).toMatchObject({ model: 'pretrainedResnet_quant', dataset: 'cifar10-mlperf-ic01', n: 20, backend: BACKEND });

    // The TFLite reference's per-item predictions for the same 20 files, in y_labels.csv order.
    const first20 = readFileSync(join(dataset, 'y_labels.csv'), 'utf8').trim().split('\n').slice(0, 20).map((l) => l.split(',')[0]);
    const rows = readFileSync(assetPath('reference', 'pretrainedResnet_quant__cifar10-mlperf-ic01.csv'), 'utf8').trim().split('\n').slice(1);
    const byFile = new Map(rows.map((row) => [row.split(',')[0], row.split(',')]));
    const ref = first20.map((f) => byFile.get(f)!);
    expect(result.top1).toBe(ref.filter(([, label, top1]) => label === top1).length / 20);
    expect(result.top5).toBe(ref.filter(([, label, , top5]) => top5.split(' ').includes(label)).length / 20);
    // stderr is a pipe here: plain progress lines, ending at 20/20.
    expect(r.stderr).toMatch(/eval pretrainedResnet_quant: 20\/20/);
  });

  it('--predictions writes each item as the reference CSVs do, equal to TFLite row by row', async () => {
    const dataset = assetPath('eval', 'cifar10-mlperf-ic01');
    const csv = join(tmp, 'predictions.csv');
    const r = await octet(['eval', RESNET, '--dataset', dataset, '--limit', '20', '--predictions', csv, '--backend', BACKEND]);
    expect(r.code, r.stderr).toBe(0);
    const written = readFileSync(csv, 'utf8').trim().split('\n');
    const reference = readFileSync(assetPath('reference', 'pretrainedResnet_quant__cifar10-mlperf-ic01.csv'), 'utf8').trim().split('\n');
    // The same header and, for a 10-class set whose files sit at its top, the same rows.
    expect(written).toEqual(reference.slice(0, 21));
  });
});

describe('octet detect, segment, pose (the commands themselves: test/cli/tasks.test.ts)', () => {
  it('detect --json prints {box, class, label, score} per object, best first', async () => {
    const { model: tiny, image } = tinyYolo(tmp);
    const r = await octet(['detect', tiny, image, '--json', '--threshold', '0.5', '--backend', BACKEND]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ model: 'tiny_yolov8', head: 'yolov8', width: 8, height: 8 });
    expect(result.detections.map((d: { class: number; label: string; score: number }) => [d.class, d.label, d.score])).toEqual([
      [1, 'class 1', SCALE * 230],
      [0, 'class 0', SCALE * 153],
    ]);
    expect(Object.keys(result.detections[0]).sort()).toEqual(['box', 'class', 'label', 'score']);
    const text = await octet(['detect', tiny, image, '--backend', 'cpu']);
    expect(text.stdout.split('\n')[0]).toBe(`${image} (8x8): 2 objects`);
    expect(text.stdout.split('\n')[1]).toBe(`  0.9020  ${'class 1'.padEnd(16)}  x     2 to     6, y     1 to     3`);
  });

  it('a classifier given to detect, segment or pose: exit 1, one line naming its outputs', async () => {
    const burger = assetPath('images', 'tflite-support', 'burger.jpg');
    const detect = await octet(['detect', MOBILENET, burger, '--backend', 'cpu']);
    expect(detect.code).toBe(1);
    expect(detect.errorLines).toEqual([expect.stringMatching(/^octet: mobilenet_v1_0\.25_224_quant: outputs \[1,1001\] are not a detection head Octet decodes/)]);
    const segment = await octet(['segment', MOBILENET, burger, '-o', join(tmp, 'm.png'), '--backend', 'cpu']);
    expect(segment.errorLines).toEqual(['octet: mobilenet_v1_0.25_224_quant: output 0 uint8 [1,1001] is not a segmentation map (int32/int64 [1,H,W] or scores [1,H,W,C])']);
    const pose = await octet(['pose', MOBILENET, burger, '--backend', 'cpu']);
    expect(pose.errorLines).toEqual(['octet: mobilenet_v1_0.25_224_quant: output 0 [1,1001] is not a single-pose keypoint tensor [1,1,K,3] of (y, x, score)']);
    const bad = await octet(['detect', MOBILENET, burger, '--iou', '1.5']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--iou.*expected a number in \[0, 1\]/);
  });
});
