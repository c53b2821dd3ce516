// A/B harness (scratch; never committed). BEFORE=<baseline worktree> ROUNDS LOADS MODELS DOT4=off
import { test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ASSETS = '/work/shared/assets/models';
const MODELS: Record<string, string> = {
  mnv2: 'coral/mobilenet_v2_1.0_224_quant.tflite',
  tf2mnv2: 'coral/tf2_mobilenet_v2_1.0_224_ptq.tflite',
  resnet8: 'mlperf-tiny/pretrainedResnet_quant.tflite',
  vww: 'mlperf-tiny/vww_96_int8.tflite',
  resnet8f: 'mlperf-tiny/pretrainedResnet.tflite',
  vwwf: 'mlperf-tiny/vww_96_float.tflite',
  kws: 'mlperf-tiny/kws_ref_model.tflite',
  person: 'tflite-micro/person_detect.tflite',
};

function kindOf(label: string): string {
  return label.replace(/#\d+/, '').replace(/\s*\(.*$/, (m) => m);
}

test('ab', async () => {
  const before = process.env.BEFORE;
  const rounds = Number(process.env.ROUNDS ?? 5);
  const names = (process.env.MODELS ?? 'mnv2').split(',');
  const builds: Array<{ name: string; mod: any }> = [{ name: 'after', mod: await import('../../src/node.ts') }];
  if (before) builds.unshift({ name: 'before', mod: await import(/* @vite-ignore */ join(before, 'src/node.ts')) });
  // TOGGLE=VAR: the same build loaded once per value in VALUES (e.g. 0,1,1,0), VAR set while lowering.
  const toggle = process.env.TOGGLE;
  if (toggle) {
    const mod = builds[builds.length - 1]!.mod;
    builds.length = 0;
    for (const v of (process.env.VALUES ?? '0,1').split(',')) builds.push({ name: `${toggle}=${v}`, mod, env: v } as any);
  }
  const gpu = process.env.DOT4 === 'off' ? { dot4: 'off' } : {};
  for (const name of names) {
    const path = join(ASSETS, MODELS[name] ?? name);
    const bytes = new Uint8Array(readFileSync(path));
    const loaded: any[] = [];
    for (const b of builds) {
      if (toggle) process.env[toggle] = (b as any).env;
      const t0 = performance.now();
      const ctx = await b.mod.requestNodeGpuContext(gpu);
      const m = await b.mod.OctetModel.load(bytes, { context: ctx, backend: 'gpu' });
      loaded.push({ b, m, load: performance.now() - t0, runs: [] as number[], gpu: new Map<string, number[]>() });
    }
    const shapes = loaded[0].m.inputs as Array<{ shape: number[]; dtype: string }>;
    const data = shapes.map((s) => {
      const n = s.shape.reduce((a: number, b: number) => a * b, 1);
      const arr = s.dtype === 'float32' ? new Float32Array(n) : s.dtype === 'uint8' ? new Uint8Array(n) : new Int8Array(n);
      for (let i = 0; i < n; i++) (arr as any)[i] = s.dtype === 'float32' ? Math.sin(i) : (i * 37) % 200 - (s.dtype === 'uint8' ? 0 : 100);
      return arr;
    });
    const outs: any[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const l of loaded) {
        const t0 = performance.now();
        const o = await l.m.run(data);
        l.runs.push(performance.now() - t0);
        if (r === 0) outs.push(o);
      }
      for (const l of loaded) {
        const d = await l.m.runDetailed?.(data, { timing: true });
        const times = d?.layerTimes ?? [];
        const sums = new Map<string, number>();
        for (const t of times) sums.set(kindOf(t.label), (sums.get(kindOf(t.label)) ?? 0) + t.ns / 1e6);
        for (const [k, v] of sums) { if (!l.gpu.has(k)) l.gpu.set(k, []); l.gpu.get(k).push(v); }
        l.layers ??= new Map<string, number>();
        for (const t of times) l.layers.set(t.label, Math.min(l.layers.get(t.label) ?? Infinity, t.ns / 1e6));
      }
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const lines: string[] = [`== ${name}`];
    for (const l of loaded) {
      let tot = 0;
      const per: Array<[string, number]> = [...l.gpu.entries()].map(([k, v]) => [k, process.env.STAT === 'min' ? Math.min(...v) : med(v)] as [string, number]).sort((a, b) => b[1] - a[1]);
      for (const [, v] of per) tot += v;
      if (process.env.STAT === 'layermin') {
        per.length = 0;
        const byKind = new Map<string, number>();
        for (const [label, v] of l.layers ?? []) byKind.set(kindOf(label), (byKind.get(kindOf(label)) ?? 0) + v);
        per.push(...[...byKind.entries()].sort((a, b) => b[1] - a[1]));
        tot = per.reduce((a, [, v]) => a + v, 0);
      }
      lines.push(`${l.b.name}: load ${l.load.toFixed(0)} ms, run median ${med(l.runs).toFixed(1)} min ${Math.min(...l.runs).toFixed(1)}, gpu sum ${tot.toFixed(1)} :: ` + per.slice(0, 8).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', '));
    }
    if (process.env.LAYERS) for (const l of loaded) lines.push(`${l.b.name} layers: ` + [...(l.layers ?? new Map()).entries()].filter(([k]: any) => k.includes(process.env.LAYERS)).map(([k, v]: any) => `${k} ${v.toFixed(2)}`).join(', '));
    if (outs.length >= 2) {
      let diff = 0;
      outs[0].forEach((o: any, i: number) => { for (let j = 0; j < o.length; j++) if (o[j] !== outs[1][i][j]) diff++; });
      lines.push(`outputs differing elements: ${diff}`);
    }
    console.log(lines.join('\n'));
    for (const l of loaded) l.m.dispose?.();
  }
}, 3_600_000);
