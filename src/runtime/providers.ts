import { EdgeoptError, describeError } from '../util/errors.js';
import type { FailedProvider } from './runtime.js';

/** Execution providers onnxruntime-node knows by name (which ones load depends on the build and machine). */
export const KNOWN_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'dml', 'webgpu', 'coreml', 'qnn', 'xnnpack', 'openvino', 'rocm', 'migraphx', 'nnapi'] as const;

/** Parses a --providers list ('cuda,cpu'): tried in this order, with an explicit fallback to the next. */
export function parseProviders(value: string): string[] {
  const names = value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) throw new EdgeoptError('--providers needs at least one execution provider, e.g. cpu');
  const unknown = names.filter((n) => !(KNOWN_PROVIDERS as readonly string[]).includes(n));
  if (unknown.length) throw new EdgeoptError(`unknown execution provider(s) ${unknown.join(', ')} (known: ${KNOWN_PROVIDERS.join(', ')})`);
  return [...new Set(names)];
}

/**
 * Tries each provider in turn (onnxruntime does not fall back by itself) and says which one loaded the model
 * and why the others did not. Throws one EdgeoptError naming every failure when none of them could.
 */
export async function openWithFallback<T>(
  providers: readonly string[],
  where: string,
  engine: string,
  open: (provider: string) => Promise<T>,
): Promise<{ opened: T; provider: string; failedProviders: FailedProvider[] }> {
  const failedProviders: FailedProvider[] = [];
  for (const provider of providers) {
    try {
      return { opened: await open(provider), provider, failedProviders };
    } catch (err) {
      failedProviders.push({ provider, reason: describeError(err) });
    }
  }
  const reasons = failedProviders.map((f) => `${f.provider}: ${f.reason}`).join('; ');
  throw new EdgeoptError(`${engine} could not load ${where} (${reasons})`);
}
