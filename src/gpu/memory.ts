// Counts the GPU buffers Octet creates and frees, so tests and users can see that memory is flat
// across loads, runs and disposals.
export interface GpuMemoryStats {
  liveBuffers: number;
  liveBytes: number;
}

export class GpuBufferTracker {
  private readonly live = new Map<GPUBuffer, number>();

  constructor(private readonly device: GPUDevice) {}

  create(descriptor: GPUBufferDescriptor): GPUBuffer {
    const buffer = this.device.createBuffer(descriptor);
    this.live.set(buffer, descriptor.size);
    return buffer;
  }

  /** A buffer filled with `data` at creation (size rounded up to 4 bytes). */
  createWithData(label: string, data: ArrayBufferView, usage: GPUBufferUsageFlags): GPUBuffer {
    const size = Math.max(4, Math.ceil(data.byteLength / 4) * 4);
    const buffer = this.create({ label, size, usage, mappedAtCreation: true });
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    buffer.unmap();
    return buffer;
  }

  destroy(buffer: GPUBuffer): void {
    if (this.live.delete(buffer)) buffer.destroy();
  }

  /** Destroys every buffer still live (a program's dispose, or cleanup after a failed build). */
  destroyAll(): void {
    for (const buffer of [...this.live.keys()]) this.destroy(buffer);
  }

  stats(): GpuMemoryStats {
    let liveBytes = 0;
    for (const bytes of this.live.values()) liveBytes += bytes;
    return { liveBuffers: this.live.size, liveBytes };
  }
}
