import type { SessionConfig } from '../../runtime/runtime.js';
import { tensorToFloat32 } from '../../onnx/tensor.js';
import type { LoadedModel, TensorProto } from '../../onnx/types.js';
import type { TensorRange } from '../calibrate/methods.js';
import type { FeedRecord } from '../calibrate/feeds.js';
import { quantizeTensor } from '../math.js';
import { visitOutputs, type PlainOutput } from '../outputs.js';

/**
 * Bias correction: int8 weights and clipped int8 inputs shift the *mean* of a conv's output channels (rounding a
 * kernel's weights is not zero-mean once summed, and clipping removes a tail), and through a deep network such
 * shifts add up. For output channel o the expected shift is
 *
 *   Δ_o = Σ_c ( Σ_k W_q[o,c,k] · E[clip(x_c)]  −  Σ_k W[o,c,k] · E[x_c] )
 *
 * with W_q the dequantized int8 weights, clip the input's quantization range and E the per-channel mean of the
 * conv's input in the FP32 model over calibration images; Δ is subtracted from the bias. Each conv's own error is
 * corrected, never the error it inherits (correcting inherited shifts too would correct them twice once the upstream
 * convs are fixed). Zero padding at the borders is ignored, as in the published method (Nagel et al., 2019).
 */
export interface BiasCorrectionTarget {
  conv: string;
  /** The conv's activation input in the FP32 graph. */
  input: string;
  weight: TensorProto;
  /** The input's quantization range (what int8 clips it to). */
  range: TensorRange;
  perChannel: boolean;
}

/** Conv name → per-output-channel shift subtracted from its bias. */
export type BiasCorrections = Record<string, number[]>;

interface ChannelSums {
  raw: Float64Array;
  clipped: Float64Array;
  count: number;
}

function accumulate(output: PlainOutput, sums: ChannelSums, range: TensorRange): void {
  const channels = output.dims[1] ?? 1;
  const inner = output.dims.slice(2).reduce((a, b) => a * b, 1);
  const batch = output.dims[0] ?? 1;
  const data = output.data;
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < channels; c++) {
      let raw = 0;
      let clipped = 0;
      const base = (b * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        const v = data[base + i]!;
        raw += v;
        clipped += v < range.min ? range.min : v > range.max ? range.max : v;
      }
      sums.raw[c] = sums.raw[c]! + raw;
      sums.clipped[c] = sums.clipped[c]! + clipped;
    }
  }
  sums.count += batch * inner;
}

/** Per-output-channel Δ of one conv from its input's channel means (raw and clipped). */
export function convBiasShift(weight: TensorProto, perChannel: boolean, meanRaw: ArrayLike<number>, meanClipped: ArrayLike<number>): number[] {
  const dims = weight.dims.map(Number);
  const [outChannels, inChannels] = [dims[0]!, dims[1]!];
  const taps = dims.slice(2).reduce((a, b) => a * b, 1);
  const w = tensorToFloat32(weight);
  const q = quantizeTensor(w, dims, { type: 'int8', symmetric: true, axis: perChannel ? 0 : undefined });
  const groups = meanRaw.length / inChannels; // grouped convs: output channel o reads input group ⌊o / (out/groups)⌋
  const perGroup = outChannels / groups;
  const shifts = new Array<number>(outChannels).fill(0);
  for (let o = 0; o < outChannels; o++) {
    const scale = q.scales[q.scales.length === 1 ? 0 : o]!;
    const zero = q.zeroPoints[q.zeroPoints.length === 1 ? 0 : o]!;
    const group = Math.floor(o / perGroup);
    let shift = 0;
    for (let c = 0; c < inChannels; c++) {
      let sumW = 0;
      let sumWq = 0;
      for (let k = 0; k < taps; k++) {
        const i = (o * inChannels + c) * taps + k;
        sumW += w[i]!;
        sumWq += (q.data[i]! - zero) * scale;
      }
      const channel = group * inChannels + c;
      shift += sumWq * meanClipped[channel]! - sumW * meanRaw[channel]!;
    }
    shifts[o] = Math.fround(shift);
  }
  return shifts;
}

/** Measures the conv inputs' channel means in the FP32 model on `samples` and returns every conv's bias shift. */
export async function measureBiasCorrections(
  float: LoadedModel,
  targets: readonly BiasCorrectionTarget[],
  samples: readonly FeedRecord[],
  session?: SessionConfig,
): Promise<BiasCorrections> {
  const inputs = new Map<string, { range: TensorRange; sums?: ChannelSums }>();
  for (const t of targets) if (!inputs.has(t.input)) inputs.set(t.input, { range: t.range });
  const graphInputs = new Set(float.graph.input.map((i) => i.name ?? ''));
  const fetched = [...inputs.keys()].filter((t) => !graphInputs.has(t));
  const add = (output: PlainOutput) => {
    const entry = inputs.get(output.name)!;
    entry.sums ??= { raw: new Float64Array(output.dims[1] ?? 1), clipped: new Float64Array(output.dims[1] ?? 1), count: 0 };
    accumulate(output, entry.sums, entry.range);
  };
  await visitOutputs(float, samples, (_, outputs) => outputs.forEach(add), { fetch: fetched, session });
  // Graph inputs (a quantized stem) come straight from the feeds.
  for (const record of samples) {
    for (const [name, tensor] of Object.entries(record)) {
      if (inputs.has(name) && tensor.data instanceof Float32Array) add({ name, dims: tensor.dims, data: tensor.data });
    }
  }
  const corrections: BiasCorrections = {};
  for (const t of targets) {
    const sums = inputs.get(t.input)?.sums;
    if (!sums || sums.count === 0) continue;
    const meanRaw = sums.raw.map((s) => s / sums.count);
    const meanClipped = sums.clipped.map((s) => s / sums.count);
    if (meanRaw.length % Number(t.weight.dims[1]) !== 0) continue;
    corrections[t.conv] = convBiasShift(t.weight, t.perChannel, meanRaw, meanClipped);
  }
  return corrections;
}
