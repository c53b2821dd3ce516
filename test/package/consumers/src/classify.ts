// One image through one model with the browser-safe entry; used by the page and by the worker.
import { OctetModel, decodeImage, imageToModelInput, labelsForModel, parseLabels, recipeForModel, requestGpuContext } from 'octet';

export interface Classification {
  where: 'main thread' | 'worker';
  label: string;
  index: number;
  backend: string;
  adapter: string;
  milliseconds: number;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

export async function classify(where: Classification['where'], modelUrl: string, imageUrl: string): Promise<Classification> {
  const started = performance.now();
  const name = modelUrl.split('/').pop()!.replace(/\.tflite$/, '');
  const [modelBytes, imageBytes] = await Promise.all([fetchBytes(modelUrl), fetchBytes(imageUrl)]);
  const context = await requestGpuContext();
  const model = await OctetModel.load(modelBytes, { context, name });
  try {
    const input = model.inputs[0]!;
    const pixels = decodeImage(imageBytes, imageUrl);
    const [scores] = await model.run(imageToModelInput(pixels, input, { recipe: recipeForModel(name, input) }));
    let best = 0;
    for (let i = 1; i < scores!.length; i++) if (scores![i]! > scores![best]!) best = i;
    const labelFile = labelsForModel(name, scores!.length);
    if (!labelFile) throw new Error(`no label list for ${name}`);
    const labels = parseLabels(new TextDecoder().decode(await fetchBytes(`/assets/labels/${labelFile}`)));
    return {
      where,
      label: labels[best] ?? `class ${best}`,
      index: best,
      backend: model.backend,
      adapter: model.info().adapter ?? 'none',
      milliseconds: Math.round(performance.now() - started),
    };
  } finally {
    model.dispose();
    context.destroy();
  }
}
