import type { IsaInfo } from './provenance.js';

/**
 * Is a latency physically possible? From a model's multiply-accumulates and a measured latency we
 * get the achieved GMAC/s; we compare it with a deliberately generous peak for the machine's SIMD
 * units, so a flag means "this number cannot be right" (wrong model, wrong units, cached result,
 * a different device), never "this is merely fast".
 *
 * Peak per thread = SIMD multiply-accumulates per cycle × an assumed 6 GHz clock (above any shipping
 * core's boost). MACs per cycle assume every FMA pipe is busy every cycle with full-width vectors:
 * - x86 FP32: AVX-512 2 × 16 lanes = 32; AVX2+FMA 2 × 8 = 16; SSE (no FMA) 8.
 * - ARM FP32: NEON 128-bit, up to 4 FMA pipes (Apple M-series, Cortex-X) × 4 lanes = 16.
 * - FP16 doubles the lanes where the ISA computes in half precision (avx512_fp16, ARM fphp/asimdhp).
 * - INT8: VNNI/dot-product instructions do 4 MACs per 32-bit lane: AVX-512 VNNI 2 × 64 = 128,
 *   AVX-VNNI/AVX2 2 × 32 = 64, ARM dotprod 4 × 16 = 64, i8mm (SMMLA, 32 MACs/instr) 4 × 32 = 128;
 *   Intel AMX tiles 1024 INT8 MACs per cycle per core.
 * Matrix co-processors that the onnxruntime CPU provider does not use for these ops (Apple's AMX,
 * SME) are not counted: a CPU-provider result faster than the SIMD peak is still impossible.
 * A model that mixes precisions is judged by its fastest precision (the most generous bound).
 */
export type ComputePrecision = 'fp32' | 'fp16' | 'int8';

export const ASSUMED_MAX_CLOCK_GHZ = 6;

export function peakMacsPerCycle(isa: IsaInfo, precision: ComputePrecision): number {
  const has = (flag: string) => isa.flags.includes(flag);
  const arm = isa.arch === 'arm64' || isa.arch === 'arm' || has('neon') || has('asimd');
  if (arm) {
    const fp32 = 16;
    if (precision === 'fp32') return fp32;
    if (precision === 'fp16') return has('fphp') || has('asimdhp') ? 2 * fp32 : fp32;
    if (has('i8mm')) return 128;
    if (has('asimddp') || has('dotprod')) return 64;
    return 32;
  }
  const fp32 = has('avx512f') ? 32 : has('avx2') && has('fma') ? 16 : 8;
  if (precision === 'fp32') return fp32;
  if (precision === 'fp16') return has('avx512_fp16') || has('amx_fp16') ? 2 * fp32 : fp32;
  if (has('amx_int8')) return 1024;
  if (has('avx512_vnni') || (has('avx512bw') && has('avx512f'))) return 128;
  if (has('avx_vnni') || has('avx2')) return 64;
  return 16;
}

/** Generous peak GMAC/s of `threads` threads (never more threads than cores). */
export function peakGmacPerSecond(isa: IsaInfo, precision: ComputePrecision, threads: number, cores: number): number {
  const usable = Math.max(1, Math.min(threads, cores));
  return peakMacsPerCycle(isa, precision) * ASSUMED_MAX_CLOCK_GHZ * usable;
}

export interface PlausibilityCheck {
  /** Achieved throughput at the given latency: MACs / latency. */
  gmacPerSecond: number;
  /** The generous bound it was checked against. */
  peakGmacPerSecond: number;
  /** achieved / peak; above 1 is impossible. */
  fractionOfPeak: number;
  plausible: boolean;
  /** One line: why it was flagged, with the arithmetic. Empty when plausible. */
  reason: string;
}

export function checkPlausibility(input: {
  macs: number;
  latencyMs: number;
  threads: number;
  cores: number;
  isa: IsaInfo;
  precision?: ComputePrecision;
}): PlausibilityCheck {
  const precision = input.precision ?? 'fp32';
  const gmacPerSecond = input.macs / 1e9 / (input.latencyMs / 1000);
  const peak = peakGmacPerSecond(input.isa, precision, input.threads, input.cores);
  const plausible = gmacPerSecond <= peak;
  const usable = Math.max(1, Math.min(input.threads, input.cores));
  const reason = plausible
    ? ''
    : `${(input.macs / 1e9).toFixed(2)} GMAC in ${input.latencyMs.toFixed(2)} ms is ${gmacPerSecond.toFixed(0)} GMAC/s, above the ` +
      `${peak.toFixed(0)} GMAC/s ${precision} peak of ${usable} thread${usable === 1 ? '' : 's'} ` +
      `(${peakMacsPerCycle(input.isa, precision)} MAC/cycle × ${ASSUMED_MAX_CLOCK_GHZ} GHz${usable > 1 ? ` × ${usable}` : ''})`;
  return { gmacPerSecond, peakGmacPerSecond: peak, fractionOfPeak: gmacPerSecond / peak, plausible, reason };
}

/** The precision a model computes in, from its op types and initializer types (for the bound above). */
export function inferPrecision(opTypes: Iterable<string>, hasFloat16Weights = false): ComputePrecision {
  const integerOps = new Set(['ConvInteger', 'MatMulInteger', 'QLinearConv', 'QLinearMatMul', 'DynamicQuantizeLinear', 'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat']);
  for (const op of opTypes) if (integerOps.has(op)) return 'int8';
  return hasFloat16Weights ? 'fp16' : 'fp32';
}

/** The check for one benchmark run set, at its median latency; undefined when it has no timings. */
export function checkRunPlausibility(
  result: { threads: number; stats?: { p50Ms: number }; provenance: { cores: number; isa: IsaInfo } },
  macs: number,
  precision: ComputePrecision = 'fp32',
): PlausibilityCheck | undefined {
  if (!result.stats || !(macs > 0)) return undefined;
  return checkPlausibility({
    macs,
    latencyMs: result.stats.p50Ms,
    threads: result.threads,
    cores: result.provenance.cores,
    isa: result.provenance.isa,
    precision,
  });
}
