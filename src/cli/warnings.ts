import type { ProviderUse } from '../bench/fallback.js';
import { providerFallbackWarnings } from '../bench/fallback.js';

/**
 * The one provider-fallback warning of every command that opens sessions. Written to stderr even with --json
 * or --quiet: a silent fallback would make the numbers lie about where they came from.
 */
export function warnProviderFallbacks(uses: Iterable<ProviderUse>): void {
  for (const line of providerFallbackWarnings(uses)) process.stderr.write(`edgeopt: warning: ${line}\n`);
}
