// A plain Node ESM script: load a model file with the Node entry (Dawn through the optional
// `webgpu` peer), classify an image with the browser-safe helpers, print one JSON line.
import { readFile } from 'node:fs/promises';
import { OctetModel, decodeImage, imageToModelInput, labelsForModel, parseLabels, recipeForModel } from 'octet';
import { assetPath, loadModelFile } from 'octet/node';

const model = await loadModelFile(assetPath('models', 'tflite-support', 'mobilenet_v1_0.25_224_quant.tflite'));
const name = model.graph.name;
const input = model.inputs[0];
const image = decodeImage(new Uint8Array(await readFile(assetPath('images', 'tflite-support', 'burger.jpg'))), 'burger.jpg');
const [scores] = await model.run(imageToModelInput(image, input, { recipe: recipeForModel(name, input) }));
let best = 0;
for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
const labels = parseLabels(await readFile(assetPath('labels', labelsForModel(name, scores.length)), 'utf8'));
console.log(
  JSON.stringify({
    model: name,
    label: labels[best],
    index: best,
    backend: model.backend,
    adapter: model.info().adapter,
    // One engine behind both entries: the class from 'octet' is the one 'octet/node' returns.
    sameOctetModelClass: model instanceof OctetModel,
  }),
);
model.dispose();
process.exit(0); // Dawn's instance keeps the event loop alive
