import { readFileSync } from 'node:fs';
import os from 'node:os';
import { ortNodeRuntime } from '../runtime/ort-node.js';

/**
 * Where a measurement was taken. The machine part is collected once per process (readers below);
 * the run part (provider, session options, input shapes) comes from the child that measured.
 */
export interface IsaInfo {
  /** 'x64', 'arm64', … (process.arch) */
  arch: string;
  /** The instruction-set extensions that decide which kernels onnxruntime can use. */
  flags: string[];
}

export interface MachineProvenance {
  cpuModel: string;
  /** Logical cores available to this process (os.availableParallelism()). */
  cores: number;
  isa: IsaInfo;
  os: string;
  node: string;
  runtime: { name: string; version: string };
}

export interface RunProvenance {
  provider: string;
  failedProviders: Array<{ provider: string; reason: string }>;
  sessionOptions: Record<string, unknown>;
  inputs: Array<{ name: string; type: string; dims: number[] }>;
  gcBetweenRuns: boolean;
}

export type Provenance = MachineProvenance & { run?: RunProvenance };

/** The ISA flags worth reporting, as Linux /proc/cpuinfo spells them (x86 "flags", ARM "Features"). */
export const RELEVANT_ISA_FLAGS = [
  // x86-64
  'sse4_2', 'fma', 'f16c', 'avx', 'avx2', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_bf16', 'avx512_fp16',
  'avx_vnni', 'amx_tile', 'amx_int8', 'amx_bf16', 'amx_fp16',
  // ARM
  'neon', 'asimd', 'asimddp', 'dotprod', 'fphp', 'asimdhp', 'i8mm', 'bf16', 'sve', 'sve2', 'sme',
] as const;

export interface CpuInfo {
  model?: string;
  flags: string[];
}

/** Reads the model name and feature flags from the text of /proc/cpuinfo (first processor block). */
export function parseCpuInfo(text: string): CpuInfo {
  let model: string | undefined;
  let flags: string[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (!model && (key === 'model name' || key === 'hardware' || key === 'cpu model')) model = value;
    if (flags.length === 0 && (key === 'flags' || key === 'features')) flags = value.split(/\s+/).filter(Boolean);
  }
  return { model, flags };
}

/** Keeps the relevant flags, adding 'neon' on arm64 where Linux only says 'asimd' (and macOS says nothing). */
export function relevantIsaFlags(allFlags: readonly string[], arch: string, cpuModel = ''): string[] {
  const have = new Set(allFlags);
  if (arch === 'arm64') {
    // AArch64 always has Advanced SIMD; Apple M-series also always have dotprod and fp16 arithmetic.
    have.add('neon');
    have.add('asimd');
    if (/Apple M\d/.test(cpuModel)) ['asimddp', 'fphp', 'asimdhp'].forEach((f) => have.add(f));
  }
  return RELEVANT_ISA_FLAGS.filter((flag) => have.has(flag));
}

function readCpuInfoText(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

/** Everything about this machine and software that a timing depends on. Reads the environment. */
export function machineProvenance(): MachineProvenance {
  const cpuInfo = parseCpuInfo(readCpuInfoText());
  const cpuModel = cpuInfo.model ?? os.cpus()[0]?.model ?? 'unknown';
  return {
    cpuModel,
    cores: os.availableParallelism(),
    isa: { arch: process.arch, flags: relevantIsaFlags(cpuInfo.flags, process.arch, cpuModel) },
    os: `${os.type()} ${os.release()} (${process.platform}/${process.arch})`,
    node: process.version,
    runtime: { name: ortNodeRuntime.name, version: ortNodeRuntime.version },
  };
}
