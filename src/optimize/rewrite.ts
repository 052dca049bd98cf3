import type { LoadedModel } from '../onnx/types.js';

/**
 * One exact graph rewrite: a pattern and an equivalent, faster form of it. "Exact" means the rewritten graph computes
 * the same function (up to float rounding of a reordered sum at most), so accuracy never has to be re-measured.
 */
export interface GraphRewrite {
  /** The registry key, used by `--rewrites` and in reports. */
  name: string;
  /** One line: what changes and why it helps. */
  summary: string;
  /**
   * Applied when no rewrite list is given (default true). False for rewrites that only pay off in some precision
   * (e.g. a layout that speeds up an int8 kernel but not the float one): the quantization search tries those by measurement.
   */
  byDefault?: boolean;
  /** Rewrites every match in `model` in place (the caller hands it a private copy) and says what it replaced. */
  apply(model: LoadedModel): RewriteMatch[];
}

export interface RewriteMatch {
  /** Names of the original nodes that the match removed or replaced. */
  nodes: string[];
}
