/**
 * Which execution provider a measurement really ran on, when it is not the first one asked for. onnxruntime-node
 * does not fall back by itself; edgeopt tries the providers in order, and a fallback must never be silent, or the
 * numbers would lie about where they came from. Every command that opens sessions words it with this function.
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
