import type { GraphRewrite } from '../rewrite.js';
import { concatSplit } from './concat-split.js';
import { dflSoftmax } from './dfl-softmax.js';
import { stemSpaceToDepth } from './stem-space-to-depth.js';

/** Name → rewrite, applied in this order by default. A new rewrite is one file and one line here. */
export const REWRITES: Readonly<Record<string, GraphRewrite>> = {
  [dflSoftmax.name]: dflSoftmax,
  [concatSplit.name]: concatSplit,
  [stemSpaceToDepth.name]: stemSpaceToDepth,
};
