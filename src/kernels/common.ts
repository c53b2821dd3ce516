// Assembles a kernel's WGSL: the shared int8 helpers followed by the op family's shader, both
// rendered with the same template parameters.
import commonSource from '../../shaders/common.wgsl?raw';
import wideIntSource from '../../shaders/wide-int.wgsl?raw';
import indexingSource from '../../shaders/indexing.wgsl?raw';
import { renderShader, type ShaderParams } from './shader.ts';
import { xnnpackKernels, type LoweringContext } from './lowering.ts';

export function int8Shader(ctx: LoweringContext, opSource: string, params: ShaderParams): { code: string; key: string } {
  const all: ShaderParams = {
    DOT4: ctx.useDot4,
    WORKGROUP_SIZE: ctx.workgroupSize,
    FLOAT_REQUANT: xnnpackKernels(ctx),
    RUY_REQUANT: false,
    // The conv family's load-time bound (sumsExactInF32 in conv2d.ts); off for every other kernel.
    EXACT_SUMS: false,
    // A byte_table binding and table_word (shaders/common.wgsl): the unary table kernel and a conv epilogue's fused table op.
    BYTE_TABLE: false,
    ...params,
  };
  const code = [indexingSource, wideIntSource, commonSource, opSource].map((source) => renderShader(source, all)).join('\n');
  // The code itself is the cache key: equal text is an equal pipeline, with no risk of a stale key.
  return { code, key: code };
}
