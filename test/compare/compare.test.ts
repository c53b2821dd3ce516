// int8 versus float on ResNet-8 (MLPerf Tiny) over the first items of the CIFAR-10 MLPerf set:
// with the separate float model (layers matched by name and shape) and with the dequantized
// twin (every activation shares an id). Small on purpose: SwiftShader, shared machine.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { compareCommand } from '../../src/cli/commands/compare.ts';
import { compareModels, CompareError, median, sqnrDb, type ComparisonReport } from '../../src/compare/compare.ts';
import { evalSetDataset } from '../../src/compare/datasets-node.ts';
import { formatComparison } from '../../src/compare/format.ts';
import type { Graph } from '../../src/model/graph.ts';
import { importTflite } from '../../src/model/import.ts';
import type { Backend } from '../../src/runtime/model.ts';
import { testContext } from '../helpers/gpu.ts';

// The int8 side runs on the GPU: a GPU refusal fails the test (no fallback to the CPU reference).
const BACKEND: Backend = 'gpu';

function load(file: string): Graph {
  return importTflite(new Uint8Array(readFileSync(assetPath('models', 'mlperf-tiny', `${file}.tflite`))), file);
}

const cifar = () => evalSetDataset(assetPath('eval', 'cifar10-mlperf-ic01'));

function expectJsonRoundTrip(report: ComparisonReport): void {
  const text = JSON.stringify(report);
  expect(JSON.parse(text)).toEqual(report);
}

describe('helpers', () => {
  it('sqnrDb and median', () => {
    expect(sqnrDb(100, 1)).toBeCloseTo(20);
    expect(sqnrDb(1, 0)).toBeNull();
    expect(sqnrDb(0, 1)).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});

describe('ResNet-8 int8 vs float', () => {
  it('with the float model file: top-1 of both, agreement, per-layer SQNR by name', async () => {
    const context = await testContext();
    const progress: number[] = [];
    const report = await compareModels({
      int8: load('pretrainedResnet_quant'),
      float: load('pretrainedResnet'),
      context,
      dataset: cifar(),
      limit: 30,
      captureInputs: 5,
      int8Backend: BACKEND,
      onProgress: (p) => progress.push(p.done),
    });
    expect(progress).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(report.n).toBe(30);
    expect(report.labelled).toBe(30);
    expect(report.dataset).toBe('cifar10-mlperf-ic01');
    expect(report.int8.top1).toBeGreaterThan(0.6);
    expect(report.float.top1).toBeGreaterThan(0.6);
    expect(report.agreement).toBeGreaterThanOrEqual(0.8);
    expect(report.int8.source).toBe('file');
    expect(report.float.source).toBe('file');

    // Weights: the same parameters, int8 (+ int32 biases) against float32.
    expect(report.int8.parameterCount).toBe(report.float.parameterCount);
    expect(report.float.weightBytes).toBe(4 * report.float.parameterCount);
    expect(report.float.weightBytes / report.int8.weightBytes).toBeGreaterThan(3);

    // Softmax outputs: probabilities differ by little on average.
    expect(report.outputs).toHaveLength(1);
    expect(report.outputs[0]!.elements).toBe(30 * 10);
    expect(report.outputs[0]!.meanAbsDiff).toBeLessThan(0.05);
    expect(report.outputs[0]!.maxAbsDiff).toBeLessThanOrEqual(1);

    const layers = report.layers!;
    expect(layers.matching).toBe('name+shape');
    expect(layers.capturedInputs).toBe(5);
    expect(layers.int8Activations).toBe(16);
    expect(layers.matched).toBeGreaterThanOrEqual(14);
    expect(layers.layers).toHaveLength(layers.matched);
    expect(layers.skipped).toEqual([]);
    for (const l of layers.layers) expect(Number.isFinite(l.sqnrDb)).toBe(true);
    const good = layers.layers.filter((l) => l.sqnrDb! > 10).length;
    expect(good / layers.layers.length).toBeGreaterThan(0.8);

    for (const side of [report.int8, report.float]) {
      expect(side.latency.wallRuns).toBe(30);
      expect(side.latency.wallMsMedian).toBeGreaterThan(0);
      // Timestamps are pinned for CI's adapters (CI_ADAPTER_FEATURES): neither branch by accident.
      expect(report.gpuTimestamps).toBe(context.hasTimestamps);
      if (report.gpuTimestamps && side.backend === 'gpu') expect(side.latency.gpuMsMedian).toBeGreaterThan(0);
      else expect(side.latency.gpuMsMedian).toBeNull();
    }
    expect(report.notes.join('\n')).toMatch(/first 5 of 30 items/);
    expectJsonRoundTrip(report);

    const text = formatComparison(report);
    expect(text).toMatch(/int8 vs float on cifar10-mlperf-ic01 \(n=30\)/);
    expect(text).toMatch(/top-1 agreement: \d+\.\d\d% \(\d+\/30\)/);
    expect(text).toMatch(/per-layer SQNR .* first 5 item\(s\); \d+ of 16 int8 activations matched by tensor name and shape/);
    expect(text).toContain('FULLY_CONNECTED');
  });

  it('with dequantizeGraph: an SQNR for every activation', async () => {
    const context = await testContext();
    const int8 = load('pretrainedResnet_quant');
    const report = await compareModels({ int8, context, dataset: cifar(), limit: 8, captureInputs: 3, int8Backend: BACKEND });
    expect(report.float.source).toBe('dequantizeGraph');
    expect(report.float.name).toMatch(/dequantized/);
    expect(report.int8.top1).not.toBeNull();
    expect(report.float.top1).not.toBeNull();
    expect(report.agreement).toBeGreaterThanOrEqual(0.75);
    const layers = report.layers!;
    expect(layers.matching).toBe('id');
    const opOutputs = int8.ops.flatMap((op) => op.outputs);
    expect(layers.matched).toBe(opOutputs.length);
    expect(layers.layers.map((l) => l.int8TensorId).sort((a, b) => a - b)).toEqual([...opOutputs].sort((a, b) => a - b));
    for (const l of layers.layers) {
      expect(l.int8TensorId).toBe(l.floatTensorId);
      expect(Number.isFinite(l.sqnrDb)).toBe(true);
    }
    // Same weights, float arithmetic: the early layers are close.
    expect(layers.layers[0]!.sqnrDb!).toBeGreaterThan(20);
    expectJsonRoundTrip(report);
  });

  it('captureInputs 0 leaves the per-layer part out; bad options are refused', async () => {
    const context = await testContext();
    const int8 = load('pretrainedResnet_quant');
    const report = await compareModels({ int8, context, dataset: cifar(), limit: 2, captureInputs: 0, timedInputs: 0, int8Backend: BACKEND });
    expect(report.layers).toBeUndefined();
    expect(report.n).toBe(2);
    await expect(compareModels({ int8, context, dataset: cifar(), limit: 0 })).rejects.toThrow(CompareError);
    await expect(compareModels({ int8, float: load('vww_96_float'), context, dataset: cifar(), limit: 1 })).rejects.toThrow(/classes/);
  });
});

describe('compareCommand', () => {
  it('returns the report and its text', async () => {
    const context = await testContext();
    const result = await compareCommand({
      int8: assetPath('models', 'mlperf-tiny', 'pretrainedResnet_quant.tflite'),
      float: assetPath('models', 'mlperf-tiny', 'pretrainedResnet.tflite'),
      dataset: assetPath('eval', 'cifar10-mlperf-ic01'),
      limit: 3,
      captureInputs: 1,
      backend: BACKEND,
      context,
      progress: null,
    });
    expect(result.report.n).toBe(3);
    expect(result.report.int8.name).toBe('pretrainedResnet_quant');
    expect(result.report.float.name).toBe('pretrainedResnet');
    expect(result.format()).toBe(formatComparison(result.report));
    await expect(compareCommand({ int8: 'missing.tflite', dataset: assetPath('eval', 'cifar10-mlperf-ic01'), context, progress: null })).rejects.toThrow(/missing\.tflite/);
    await expect(compareCommand({ int8: 'x.tflite', dataset: '/nonexistent-dir', context, progress: null })).rejects.toThrow(/nonexistent-dir/);
  });
});
