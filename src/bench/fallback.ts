/**
 * The fallback wording lives with the runtime (runtime/fallback.ts), which announces every fallback of an
 * in-process session; benchmark and profile children report theirs in their provenance, worded the same way.
 */
export { providerFallbackWarnings, type ProviderUse } from '../runtime/fallback.js';
