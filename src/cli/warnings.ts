import { onProviderFallback, providerFallbackWarnings, type ProviderUse } from '../runtime/fallback.js';

/**
 * The one provider-fallback warning of every command that opens sessions. Written to stderr even with --json
 * or --quiet: a silent fallback would make the numbers lie about where they came from.
 */
export function warnProviderFallbacks(uses: Iterable<ProviderUse>): void {
  for (const line of providerFallbackWarnings(uses)) warnOnce(line);
}

const warned = new Set<string>();
function warnOnce(line: string): void {
  if (warned.has(line)) return;
  warned.add(line);
  process.stderr.write(`edgeopt: warning: ${line}\n`);
}

/**
 * For the length of a command: every session opened in this process after a fallback (eval, detect, calibration,
 * mixed precision, fidelity, the pipeline's in-process steps) warns once, in the same words as bench and diagnose.
 */
export function warnInProcessFallbacks(): () => void {
  return onProviderFallback((use) => warnProviderFallbacks([use]));
}
