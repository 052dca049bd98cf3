/**
 * The rewrites by name, in the order they are applied, and the ones applied by default, without loading the
 * rewrites (the CLI's `optimize --help` lists them at start-up). `REWRITES` in index.ts is the registry;
 * test/optimize/rewrite-names.test.ts checks that both agree.
 */
export const REWRITE_NAMES: readonly string[] = ['dfl-softmax', 'concat-split', 'stem-space-to-depth'];
export const DEFAULT_REWRITE_NAMES: readonly string[] = ['dfl-softmax', 'concat-split'];
