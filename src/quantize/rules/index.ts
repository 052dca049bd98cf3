import { convRule } from './conv.js';
import { gemmRule } from './gemm.js';
import { matmulRule } from './matmul.js';
import type { DynamicQuantizeRule } from './rule.js';

export type { DynamicQuantizeRule } from './rule.js';

/** Op type → dynamic quantization rule. Quantizing a new op type is one rule file and one line here. */
export const dynamicRules: Readonly<Record<string, DynamicQuantizeRule>> = {
  [convRule.opType]: convRule,
  [matmulRule.opType]: matmulRule,
  [gemmRule.opType]: gemmRule,
};
