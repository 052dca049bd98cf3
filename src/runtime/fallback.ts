/**
 * Provider fallback, said out loud. onnxruntime-node does not fall back by itself; the runtime tries the
 * providers in order, and a fallback must never be silent, or the numbers would lie about where they came from.
 * Every session the runtime opens after a fallback is announced here; a command subscribes once (the CLI's
 * `action` wrapper does, for every command) and warns in one wording, `providerFallbackWarnings`.
 * Pure code (no onnxruntime import): the browser bundle and the CLI's start-up load it cheaply.
 */

export interface ProviderUse {
  /** What ran (a model file name, a variant). */
  label: string;
  provider: string;
  failedProviders: ReadonlyArray<{ provider: string; reason: string }>;
}

/** One line per distinct fallback: "model.onnx: provider cuda unavailable (reason); ran on cpu". */
export function providerFallbackWarnings(uses: Iterable<ProviderUse>): string[] {
  const lines = new Set<string>();
  for (const use of uses) {
    for (const f of use.failedProviders) lines.add(`${use.label}: provider ${f.provider} unavailable (${f.reason}); ran on ${use.provider}`);
  }
  return [...lines];
}

type FallbackListener = (use: ProviderUse) => void;
const listeners = new Set<FallbackListener>();

/** Calls `listener` for every session opened after a provider fallback in this process; returns the unsubscribe. */
export function onProviderFallback(listener: FallbackListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Called by the session factory (ort-session.ts) when a provider before the one that loaded failed. */
export function announceProviderFallback(use: ProviderUse): void {
  if (use.failedProviders.length === 0) return;
  for (const listener of listeners) listener(use);
}
