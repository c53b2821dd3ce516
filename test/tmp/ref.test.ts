import { it } from 'vitest';
import { importTflite } from '../../src/model/import.ts';
import { prepareReference } from '../../src/reference/run.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { corpusEntries, readCorpusTensor, corpusDifference } from '../helpers/corpus.ts';
import { modelBytes } from '../helpers/vectors.ts';
const MODEL = process.env.DIAG_MODEL!;
it('ref', async () => {
  const graph = importTflite(modelBytes(MODEL), MODEL);
  const ref = prepareReference(graph, { requantization: (process.env.DIAG_MODE ?? 'xnnpack') as never });
  const peer = await createTflitePeer(exportTflite(graph));
  const lines: string[] = [];
  for (const e of corpusEntries().filter((e) => e.model === MODEL)) {
    const inputs = e.inputs.map((i) => readCorpusTensor(i.file, i.dtype));
    const cpu = ref.run(inputs);
    const re = peer.run(inputs);
    e.outputs.forEach((o, k) => {
      const exp = readCorpusTensor(o.file, o.dtype);
      const r = new (exp.constructor as any)(re[k]!.buffer, re[k]!.byteOffset, exp.length);
      lines.push(`${e.case} out${k}: ref vs vector ${JSON.stringify(corpusDifference(cpu[k]!, exp, o.dtype))} | reexported tflite vs vector ${JSON.stringify(corpusDifference(r, exp, o.dtype))}`);
    });
  }
  console.log(lines.join('\n'));
}, 3_600_000);
