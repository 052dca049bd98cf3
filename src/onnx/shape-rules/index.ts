import { concatSplitRules } from './concat-split.js';
import { constantRules } from './constant.js';
import { controlFlowRules } from './control-flow.js';
import { convRules } from './conv.js';
import { elementwiseRules } from './elementwise.js';
import { gatherSliceRules } from './gather-slice.js';
import { matmulRules } from './matmul.js';
import { padRules } from './pad.js';
import { poolRules } from './pool.js';
import { quantizeRules } from './quantize.js';
import { reduceRules } from './reduce.js';
import { reshapeRules } from './reshape.js';
import { resizeRules } from './resize.js';
import { selectionRules } from './selection.js';
import type { ShapeRule } from './types.js';

/**
 * op type → shape rule. Supporting a new op is one rule in one of these files (or a new file) and
 * one entry here. Keyed by op type alone: the com.microsoft ops we know do not clash with ONNX ones.
 */
export const SHAPE_RULES: Readonly<Record<string, ShapeRule>> = {
  ...elementwiseRules,
  ...convRules,
  ...poolRules,
  ...resizeRules,
  ...concatSplitRules,
  ...reshapeRules,
  ...gatherSliceRules,
  ...constantRules,
  ...matmulRules,
  ...quantizeRules,
  ...reduceRules,
  ...selectionRules,
  ...padRules,
  ...controlFlowRules,
};

export type { Dim, OutputInfo, ShapeContext, ShapeRule, TensorType } from './types.js';
