import type { GraphRewrite } from '../rewrite.js';
import { dflSoftmax } from './dfl-softmax.js';

/** Name → rewrite, applied in this order by default. A new rewrite is one file and one line here. */
export const REWRITES: Readonly<Record<string, GraphRewrite>> = {
  [dflSoftmax.name]: dflSoftmax,
};
