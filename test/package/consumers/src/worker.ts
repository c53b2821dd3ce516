// A module Web Worker: WebGPU is there too (navigator.gpu), so the whole model runs off the page.
import { classify } from './classify';

export interface ClassifyRequest {
  model: string;
  image: string;
}

self.onmessage = async (event: MessageEvent<ClassifyRequest>) => {
  try {
    self.postMessage({ ok: true, result: await classify('worker', event.data.model, event.data.image) });
  } catch (e) {
    self.postMessage({ ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
