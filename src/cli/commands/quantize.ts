import type { Command } from 'commander';
import { QUANT_TYPES, modes, quantizeModelFile, type QuantType, type QuantizeFileResult } from '../../quantize/index.js';
import { EdgeoptError } from '../../util/errors.js';
import { assertReadableFile } from '../../util/fs.js';
import { stderrProgress } from '../../util/progress.js';
import { action } from '../action.js';

interface QuantizeFlags {
  output: string;
  mode: string;
  weightType: string;
  perChannel?: boolean;
  exclude?: string;
  opTypes?: string;
  gridSnap: boolean;
  json?: boolean;
}

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .description('quantize an ONNX model (dynamic INT8: integer Conv/MatMul with run-time activation quantization)')
    .argument('<model>', 'input ONNX model')
    .requiredOption('-o, --output <path>', 'where to write the quantized model')
    .option('--mode <mode>', `quantization mode (${Object.keys(modes).join(', ')})`, 'dynamic')
    .option('--weight-type <type>', `weight storage type (${QUANT_TYPES.join(', ')})`, 'uint8')
    .option('--per-channel', 'one weight scale per output channel')
    .option('--exclude <list>', 'comma-separated node names, op types or output tensor names to keep in float')
    .option('--op-types <list>', 'comma-separated op types to quantize (default: all the mode supports)')
    .option('--no-grid-snap', "use onnxruntime's scale formula even for weights already on a quantization grid")
    .option('--json', 'print one JSON object instead of the summary')
    .action(
      action(async (modelPath: string, flags: QuantizeFlags) => {
        if (!modes[flags.mode]) {
          throw new EdgeoptError(`unknown --mode '${flags.mode}' (available: ${Object.keys(modes).join(', ')})`);
        }
        if (!QUANT_TYPES.includes(flags.weightType as QuantType)) {
          throw new EdgeoptError(`unknown --weight-type '${flags.weightType}' (use ${QUANT_TYPES.join(' or ')})`);
        }
        await assertReadableFile(modelPath, 'model');
        const progress = stderrProgress({ quiet: flags.json });
        progress.step(`quantizing ${modelPath} (${flags.mode})`);
        const result = await quantizeModelFile(modelPath, flags.output, {
          mode: flags.mode,
          weightType: flags.weightType as QuantType,
          perChannel: flags.perChannel ?? false,
          exclude: splitList(flags.exclude),
          opTypes: splitList(flags.opTypes),
          snapToGrid: flags.gridSnap,
          progress,
        });
        for (const name of result.report.unmatchedExcludes) progress.warn(`--exclude '${name}' matched no node`);
        process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatSummary(result));
      }),
    );
}

function splitList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

function histogram(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([op, n]) => `${op} ${n}`).join(', ') : 'none';
}

function formatSummary(result: QuantizeFileResult): string {
  const r = result.report;
  const layout = `${r.weightType} weights, ${r.perChannel ? 'per-channel' : 'per-tensor'}${r.symmetricWeights ? ', symmetric' : ''}`;
  const lines = [
    `${result.inputPath} -> ${result.outputPath} (${r.mode}, ${layout})`,
    `  quantized  ${histogram(r.quantized)}`,
    `  inserted   ${histogram(r.inserted)}`,
    `  skipped    ${r.skipped.length}`,
    ...r.skipped.slice(0, 10).map((s) => `    ${s.opType} ${s.node}: ${s.reason}`),
    ...(r.skipped.length > 10 ? [`    … ${r.skipped.length - 10} more (see --json)`] : []),
    `  nodes      ${r.nodesBefore} -> ${r.nodesAfter}`,
    `  size       ${megabytes(result.inputBytes)} -> ${megabytes(result.outputBytes)} (${result.compression.toFixed(2)}x smaller)`,
    `  time       ${result.quantizeMs.toFixed(0)} ms quantizing, ${result.totalMs.toFixed(0)} ms with load and save`,
    ...r.notes.map((n) => `  note: ${n}`),
  ];
  return `${lines.join('\n')}\n`;
}
