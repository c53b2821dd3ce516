// GPUBufferUsage and GPUTextureUsage flags, spelled out so that modules using them load before a
// WebGPU implementation's globals exist (in Node, Dawn installs them when a GPU is acquired).
export const BUFFER_USAGE = {
  MAP_READ: 0x01,
  COPY_SRC: 0x04,
  COPY_DST: 0x08,
  UNIFORM: 0x40,
  STORAGE: 0x80,
  INDIRECT: 0x100,
  QUERY_RESOLVE: 0x200,
} as const;

export const TEXTURE_USAGE = {
  COPY_DST: 0x02,
  TEXTURE_BINDING: 0x04,
  RENDER_ATTACHMENT: 0x10,
} as const;
