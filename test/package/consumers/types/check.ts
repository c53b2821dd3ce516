// Type-checked (never run) against the installed declarations, strict, without skipLibCheck.
import {
  NoWebGPUError,
  OctetModel,
  requestGpuContext,
  type GpuContext,
  type LoadOptions,
  type ModelInfo,
  type RgbImage,
  type TensorData,
  decodeImage,
  imageToModelInput,
} from 'octet';
import { loadModelFile, requestNodeGpuContext, type NodeGpuOptions } from 'octet/node';
// @ts-expect-error: the browser-safe entry has no file helpers; they live in 'octet/node'.
import { loadModelFile as notInTheBrowserEntry } from 'octet';

export async function browserSide(bytes: Uint8Array, jpeg: Uint8Array): Promise<string> {
  const context: GpuContext = await requestGpuContext();
  const device: GPUDevice = context.device; // WebGPU's types come with the package
  const options: LoadOptions = { context, name: 'model' };
  const model: OctetModel = await OctetModel.load(bytes, options);
  const image: RgbImage = decodeImage(jpeg, 'photo.jpg');
  const outputs: TensorData[] = await model.run(imageToModelInput(image, model.inputs[0]!));
  const info: ModelInfo = model.info();
  model.dispose();
  return `${device.label} ${info.backend} ${outputs.length}`;
}

export async function nodeSide(): Promise<number> {
  const gpu: NodeGpuOptions = { backend: 'swiftshader' };
  const context: GpuContext = await requestNodeGpuContext(gpu);
  const model: OctetModel = await loadModelFile('model.tflite', { context });
  // @ts-expect-error: run takes tensors, not strings.
  await model.run('not a tensor');
  return model.info().opCount;
}

export const noGpu = (e: unknown): e is NoWebGPUError => e instanceof NoWebGPUError && e.message.length > 0;
export const unused = notInTheBrowserEntry;
