// The commander wiring: parse flags, call the command functions in ./commands, print.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { NodeBackend } from '../gpu/node-gpu.ts';
import type { RequantizationMode } from '../reference/run.ts';
import type { Backend } from '../runtime/model.ts';
import { version as packageVersion } from '../../package.json';
import { classifyImages, formatClassification } from './commands/classify.ts';
import { detectObjects, formatDetections } from './commands/detect.ts';
import { doctor, formatDoctor } from './commands/doctor.ts';
import { evaluate, formatEval, predictionsCsv, type EvalPrediction } from './commands/eval.ts';
import { writeBytes } from './files.ts';
import { formatSummary, inspectModel } from './commands/inspect.ts';
import { formatRunResult, runModel } from './commands/run.ts';
import { formatQuantize, quantizeModelFile } from './commands/quantize.ts';
import { compareCommand } from './commands/compare.ts';
import { estimatePose, formatPose } from './commands/pose.ts';
import { formatSegmentation, segmentImage } from './commands/segment.ts';
import { ADAPTER_ROUTES, BACKENDS, REQUANTIZATION_MODES, type ModelOptions } from './load-model.ts';
import { DEFAULT_REQUANTIZATION } from '../quant/requantization.ts';

export interface ProgramIO {
  stdout: (text: string) => void;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a number in [0, 1].');
  return n;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

interface ModelFlags {
  backend: Backend;
  requantization: RequantizationMode;
  adapter: NodeBackend;
}

/** The flags every command that runs a model shares. */
function withModelFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--backend <backend>', 'int8 GPU program, or the bit-exact CPU reference').choices(BACKENDS).default('gpu'))
    .addOption(
      new Option('--requantization <mode>', "rounding of TFLite's XNNPACK delegate, or TFLite's reference kernels")
        .choices(REQUANTIZATION_MODES)
        .default(DEFAULT_REQUANTIZATION),
    )
    .addOption(new Option('--adapter <route>', 'how to find the WebGPU adapter (gpu backend)').choices(ADAPTER_ROUTES).default('auto'));
}

function modelOptions(flags: ModelFlags): ModelOptions {
  return { backend: flags.backend, requantization: flags.requantization, adapter: flags.adapter };
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

export function buildProgram(io: ProgramIO): Command {
  const print = (text: string) => io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  const program = new Command('octet')
    .description('Run 8-bit quantized TFLite models on the GPU through WebGPU')
    .version(packageVersion)
    .showHelpAfterError('(run octet help for usage)')
    .configureOutput({ outputError: (text, write) => write(`octet: ${text.replace(/^error: /, '')}`) });

  program
    .command('doctor')
    .description('report the WebGPU adapter Node finds and the fast paths it allows')
    .option('--json', 'print the capability report as JSON')
    .addOption(new Option('--backend <route>', 'which adapter route to try').choices(ADAPTER_ROUTES).default('auto'))
    .action(async (flags: { json?: boolean; backend: NodeBackend }) => {
      const report = await doctor({ backend: flags.backend });
      print(flags.json ? json(report) : formatDoctor(report));
    });

  program
    .command('inspect')
    .description('ops, tensors, quantization and weight sizes of a .tflite model')
    .argument('<model>', '.tflite file')
    .option('--json', 'print the summary as JSON')
    .action((model: string, flags: { json?: boolean }) => {
      const summary = inspectModel(model);
      print(flags.json ? json(summary) : formatSummary(summary));
    });

  withModelFlags(
    program
      .command('run')
      .description('run a model on raw little-endian tensors in its own dtypes')
      .argument('<model>', '.tflite file')
      .requiredOption('--input <file>', 'raw input tensor (repeat for each model input)', collect)
      .option('--output <file>', 'where to write each output tensor (repeat per output); omitted: print values', collect),
  ).action(async (model: string, flags: ModelFlags & { input: string[]; output?: string[] }) => {
    const result = await runModel(model, { ...modelOptions(flags), inputs: flags.input, outputs: flags.output });
    print(formatRunResult(result));
  });

  withModelFlags(
    program
      .command('classify')
      .description('top-K classes of images, with probabilities')
      .argument('<model>', '.tflite image classifier')
      .argument('<images...>', 'JPEG, PNG or BMP files')
      .option('--labels <file>', 'class names, one per line (default: chosen from the shared assets)')
      .option('--top <k>', 'how many classes to show', positiveInt, 5)
      .option('--json', 'print results as JSON'),
  ).action(async (model: string, images: string[], flags: ModelFlags & { labels?: string; top: number; json?: boolean }) => {
    const result = await classifyImages(model, images, { ...modelOptions(flags), labels: flags.labels, top: flags.top });
    print(flags.json ? json(result) : formatClassification(result));
  });

  withModelFlags(
    program
      .command('detect')
      .description('objects in an image: boxes, classes and scores (SSD with TFLite_Detection_PostProcess, YOLOv8, YOLOv5-style heads)')
      .argument('<model>', '.tflite object detector')
      .argument('<image>', 'JPEG, PNG or BMP file')
      .option('--threshold <score>', 'minimum score (default 0.5 for SSD, 0.25 for YOLO)', fraction)
      .option('--iou <iou>', 'YOLO non-max suppression: IoU above which a box of the same class is dropped (default 0.7)', fraction)
      .option('--labels <file>', "class names, one per line (default: the model's metadata, else COCO's 80 for 80-class YOLO)")
      .option('--json', 'print {image, width, height, detections: [{box, class, label, score}]} as JSON'),
  ).action(async (model: string, image: string, flags: ModelFlags & { threshold?: number; iou?: number; labels?: string; json?: boolean }) => {
    const result = await detectObjects(model, image, { ...modelOptions(flags), threshold: flags.threshold, iou: flags.iou, labels: flags.labels });
    print(flags.json ? json(result) : formatDetections(result));
  });

  withModelFlags(
    program
      .command('segment')
      .description('a class per pixel at the image\'s resolution, as a coloured PNG mask and pixel counts')
      .argument('<model>', '.tflite segmentation model (ARG_MAX class map or per-class scores)')
      .argument('<image>', 'JPEG, PNG or BMP file')
      .option('-o, --output <mask.png>', 'write the mask: PASCAL VOC colours, background transparent')
      .option('--labels <file>', "class names, one per line (default: the model's metadata, else PASCAL VOC's 21)")
      .option('--json', 'print the class histogram as JSON'),
  ).action(async (model: string, image: string, flags: ModelFlags & { output?: string; labels?: string; json?: boolean }) => {
    const result = await segmentImage(model, image, { ...modelOptions(flags), output: flags.output, labels: flags.labels });
    print(flags.json ? json(result) : formatSegmentation(result));
  });

  withModelFlags(
    program
      .command('pose')
      .description("a person's keypoints with scores (MoveNet-style [1,1,K,3] output)")
      .argument('<model>', '.tflite single-pose model')
      .argument('<image>', 'JPEG, PNG or BMP file')
      .option('--json', 'print the keypoints as JSON (x, y as fractions of the image)'),
  ).action(async (model: string, image: string, flags: ModelFlags & { json?: boolean }) => {
    const result = await estimatePose(model, image, modelOptions(flags));
    print(flags.json ? json(result) : formatPose(result));
  });

  withModelFlags(
    program
      .command('eval')
      .description('top-1 / top-5 accuracy over a labelled eval set')
      .argument('<model>', '.tflite classifier')
      .requiredOption('--dataset <dir>', 'eval set folder (labels.csv or y_labels.csv)')
      .option('--limit <n>', 'evaluate only the first n items', positiveInt)
      .option('--predictions <file.csv>', 'write each item\'s prediction: file,label,top1,top5,top1_raw_output')
      .option('--json', 'print {model, dataset, n, top1, top5, backend, seconds} as JSON'),
  ).action(async (model: string, flags: ModelFlags & { dataset: string; limit?: number; predictions?: string; json?: boolean }) => {
    const predictions: EvalPrediction[] = [];
    const result = await evaluate(model, { ...modelOptions(flags), dataset: flags.dataset, limit: flags.limit, onPrediction: (p) => predictions.push(p) });
    if (flags.predictions) writeBytes(flags.predictions, new TextEncoder().encode(predictionsCsv(predictions)), 'predictions file');
    print(flags.json ? json(result) : formatEval(result));
  });

  withModelFlags(
    program
      .command('compare')
      .description('int8 versus float on the same inputs: accuracy, agreement, per-layer SQNR, weight bytes, latency')
      .argument('<model>', 'int8 (or uint8) .tflite classifier')
      .option('--float <file>', 'float .tflite of the same network (default: the int8 model with its weights dequantized)')
      .requiredOption('--dataset <dir>', 'eval set folder (labels.csv or y_labels.csv)')
      .option('--limit <n>', 'compare only the first n items', positiveInt)
      .option('--capture <k>', 'items whose activations are captured for per-layer SQNR', (v) => Number(v), 10)
      .option('--timed <t>', 'items timed with GPU timestamps', (v) => Number(v), 20)
      .option('--json', 'print the report as JSON'),
  ).action(async (model: string, flags: ModelFlags & { float?: string; dataset: string; limit?: number; capture: number; timed: number; json?: boolean }) => {
    const result = await compareCommand({
      int8: model,
      float: flags.float,
      dataset: flags.dataset,
      limit: flags.limit,
      captureInputs: flags.capture,
      timedInputs: flags.timed,
      ...modelOptions(flags),
    });
    print(flags.json ? json(result.report) : result.format());
  });

  program
    .command('quantize')
    .description('post-training int8 quantization of a float model, calibrated with min/max')
    .argument('<model>', 'float .tflite file')
    .requiredOption('--calibration <dir>', 'eval-set folder whose inputs calibrate the activation ranges')
    .option('--count <n>', 'how many calibration inputs (the first n of the folder)', positiveInt, 100)
    .option('--per-tensor', 'one weight scale per tensor instead of per output channel')
    .option('--float-io', 'keep float32 inputs and outputs (QUANTIZE/DEQUANTIZE at the ends)')
    .requiredOption('-o, --output <file>', 'where to write the int8 .tflite')
    .option('--json', 'print the report (ranges per tensor, sizes) as JSON')
    .action((model: string, flags: { calibration: string; count: number; perTensor?: boolean; floatIo?: boolean; output: string; json?: boolean }) => {
      const result = quantizeModelFile(model, {
        calibration: flags.calibration,
        count: flags.count,
        perTensor: flags.perTensor,
        floatIO: flags.floatIo,
        output: flags.output,
      });
      print(flags.json ? json(result) : formatQuantize(result));
    });

  return program;
}
