// Classifies an image on page load on the main thread, then again inside a Web Worker.
import { classify, type Classification } from './classify';
import type { ClassifyRequest } from './worker';

const request: ClassifyRequest = {
  model: '/assets/models/tflite-support/mobilenet_v1_0.25_224_quant.tflite',
  image: '/assets/images/tflite-support/burger.jpg',
};

function inWorker(): Promise<Classification> {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<{ ok: true; result: Classification } | { ok: false; error: string }>) => {
      worker.terminate();
      if (event.data.ok) resolve(event.data.result);
      else reject(new Error(`worker: ${event.data.error}`));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`worker failed to start: ${event.message}`));
    };
    worker.postMessage(request);
  });
}

async function main(): Promise<void> {
  const out = document.querySelector<HTMLPreElement>('#result')!;
  try {
    const results = [await classify('main thread', request.model, request.image), await inWorker()];
    for (const r of results) console.log(`octet (${r.where}): ${r.label} (class ${r.index}) on ${r.backend}, ${r.adapter}, ${r.milliseconds} ms`);
    out.textContent = JSON.stringify(results, null, 2);
    document.body.dataset.result = JSON.stringify(results);
  } catch (e) {
    out.textContent = String(e);
    document.body.dataset.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } finally {
    document.body.dataset.done = 'true';
  }
}

void main();
