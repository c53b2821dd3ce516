// A CONCATENATION along the last (channel) axis whose inputs come from convolutions is written in
// place on the GPU: each such CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED writes its output
// straight into the concatenation's output, at the output's row stride and its own channel offset
// (OutputPlacement), and the concatenation copies only the inputs that were not placed. One
// activation buffer and one dispatch less per placed input. (The 8-bit depthwise kernel takes
// its 16-channel form only where the placement keeps its rows on vec4s, else the word form.) YOLOv8n's detection heads concatenate
// box and class convolutions (64 + 1 channels, three times); DeepLab v3 concatenates its ASPP
// convolution after the pooled branch; the TFLM person-id model three FULLY_CONNECTED rows.
//
// An input is placed when:
//  - its producer is a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED (their kernels take the
//    placement; pooling, elementwise and data-movement kernels do not) on the same GPU path as
//    the concatenation (float32 in and out, or 8-bit in and out);
//  - the concatenation is its only reader, it reads it once, and it is no graph output: its bytes
//    then exist only inside the concatenation's output;
//  - for 8-bit tensors its quantization is exactly the output's (same zero point and float32
//    scale), since TFLite's concatenation requantizes any other input, and it starts on a word
//    (channels packed 4 to a u32, src/kernels/layout.ts) and fills whole words unless it is the
//    last input: the kernels write whole words, and only the last input's padding lanes are the
//    output's own padding. Float tensors are unpacked: any channel counts.
//
// The CPU reference keeps running the graph without this pass (OctetModel's CPU backend and the
// tests' expectations); the GPU runs this one. Tensor ids stay; a placed producer's output has no
// bytes of its own, so a run cannot capture it.
import type { Graph, OpIR, OpOf, TensorIR } from '../model/graph.ts';
import { isEightBit } from '../kernels/layout.ts';
import { sameQuantization } from './fold-pad.ts';
import { producersOf, readersOf } from './tensor-uses.ts';

type Producer = OpOf<'CONV_2D'> | OpOf<'DEPTHWISE_CONV_2D'> | OpOf<'FULLY_CONNECTED'>;

const PRODUCERS: ReadonlySet<string> = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

/** The op is one whose GPU kernels write at a placement, on the path of `output` (float32 or 8-bit in and out). */
function placeableProducer(graph: Graph, op: OpIR | undefined, output: TensorIR): op is Producer {
  if (!op || !PRODUCERS.has(op.type) || op.outputs.length !== 1) return false;
  if ((op as Producer).options.placement) return false;
  // A convolution with a fused ADD (src/passes/fuse-add.ts) writes the ADD's output: not placed,
  // one kernel epilogue at a time.
  if (op.type === 'CONV_2D' && (op as OpOf<'CONV_2D'>).options.fusedAdd) return false;
  const input = graph.tensors[op.inputs[0]!];
  const produced = graph.tensors[op.outputs[0]!];
  if (!input || !produced) return false;
  if (output.dtype === 'float32') return input.dtype === 'float32' && produced.dtype === 'float32';
  return isEightBit(input.dtype) && isEightBit(produced.dtype);
}

/**
 * `graph` with each channel CONCATENATION's qualifying inputs written in place by their producers
 * (ConcatenationOptions.placedInputs and the producers' OutputPlacement); the same graph when none
 * qualifies.
 */
export function placeConcatenationInputs(graph: Graph): Graph {
  const readers = readersOf(graph);
  const producers = producersOf(graph);
  const outputs = new Set(graph.outputs);
  const replaced = new Map<OpIR, OpIR>();
  for (const concat of graph.ops) {
    if (concat.type !== 'CONCATENATION' || concat.options.activation !== 'NONE') continue;
    const output = graph.tensors[concat.outputs[0]!];
    if (!output || output.data || (output.dtype !== 'float32' && !isEightBit(output.dtype))) continue;
    const rank = output.shape.length;
    const axis = concat.options.axis < 0 ? concat.options.axis + rank : concat.options.axis;
    if (rank === 0 || axis !== rank - 1) continue;
    const eightBit = isEightBit(output.dtype);
    const placed: number[] = [];
    let offset = 0;
    concat.inputs.forEach((id, k) => {
      const input = graph.tensors[id];
      const channels = input?.shape[axis] ?? 0;
      const at = offset;
      offset += channels;
      if (!input || input.data || input.shape.length !== rank || outputs.has(id)) return;
      if (readers.get(id)?.length !== 1 || concat.inputs.indexOf(id) !== concat.inputs.lastIndexOf(id)) return;
      const producer = producers.get(id)?.op;
      if (!placeableProducer(graph, producer, output) || replaced.has(producer)) return;
      if (eightBit && (!sameQuantization(input, output) || at % 4 !== 0 || (channels % 4 !== 0 && k !== concat.inputs.length - 1))) return;
      replaced.set(producer, { ...producer, options: { ...producer.options, placement: { into: output.id, channelOffset: at } } } as Producer);
      placed.push(k);
    });
    if (offset !== output.shape[axis]) {
      // A malformed concatenation (its lowering refuses it): nothing placed.
      for (const k of placed) replaced.delete(producers.get(concat.inputs[k]!)!.op);
      continue;
    }
    if (placed.length > 0) replaced.set(concat, { ...concat, options: { ...concat.options, placedInputs: placed } } as OpOf<'CONCATENATION'>);
  }
  if (replaced.size === 0) return graph;
  return { ...graph, ops: graph.ops.map((op) => replaced.get(op) ?? op) };
}
