// Peer: TensorFlow.js on its WebGPU backend in Node, running the same network in float32. The tf.js
// graph (tfjs-graph.ts) is built from Octet's imported Graph: every 8-bit constant is dequantized
// (real = scale × (q − zero point), per channel), activations are float, QUANTIZE/DEQUANTIZE are
// identities. The backend gets its own device on the same Dawn adapter route Octet uses.
import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-cpu';
import { findNodeAdapter, type NodeBackend } from '../../src/gpu/node-gpu.ts';

let backendReady: Promise<string> | undefined;

/** Registers and selects the 'webgpu' backend on a fresh device; resolves to a description. */
export function initTfjsWebGpu(route: NodeBackend): Promise<string> {
  backendReady ??= (async () => {
    const { gpu, adapter } = await findNodeAdapter(route);
    // tf.js checks navigator.gpu (isWebGPUSupported) before it uses a backend; Node 20 has no navigator.
    const g = globalThis as { navigator?: { gpu?: GPU } };
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    else if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    const features: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
    const l = adapter.limits;
    const device = await adapter.requestDevice({
      requiredFeatures: features,
      requiredLimits: {
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      },
    });
    const backend = new WebGPUBackend(device, adapter.info as unknown as ConstructorParameters<typeof WebGPUBackend>[1]);
    tf.registerBackend('webgpu', () => backend, 3);
    if (!(await tf.setBackend('webgpu'))) throw new Error('tf.js refused the webgpu backend');
    await tf.ready();
    return `tfjs-core ${tf.version_core}, backend webgpu`;
  })();
  return backendReady;
}

export { TfjsGraph, TfjsUnsupportedOp, floatInputFor, elementCount } from './tfjs-graph.ts';
