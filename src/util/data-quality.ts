/**
 * The ledger of bad data in a dataset or calibration folder: every unusable image and every rejected label
 * line is named once (file or file:line, and why), counted by reason, and the job fails only when more than
 * `maxBad` of the images or of the labels are bad — or at the first bad item in strict mode. Real datasets
 * have a few broken files; a silent skip would change results without a word, a hard stop wastes the rest.
 */
import { EdgeoptError } from './errors.js';

/** Default share of bad images (or label lines) above which a job fails: 5%. */
export const DEFAULT_MAX_BAD = 0.05;

export interface DataQualityOptions {
  /** Largest accepted share of bad items, 0..1 (default 0.05). */
  maxBad?: number;
  /** Fail at the first bad item. */
  strict?: boolean;
  /** Receives one line per bad item (the CLI prints them as warnings on stderr). */
  onWarning?: (line: string) => void;
  /** What the items are, for messages: 'evaluation data', 'calibration images'. */
  what?: string;
  /** What a label is called in this format: 'label lines' (YOLO) or 'annotations' (COCO, VOC). */
  labelUnit?: string;
}

export interface ItemCounts {
  /** Items looked at (good + skipped). */
  total: number;
  skipped: number;
  /** Skipped items by reason ('corrupt', 'duplicate', …). */
  reasons: Record<string, number>;
}

/** What results.json and the report record about the data's quality. */
export interface DataQualitySummary {
  images: ItemCounts;
  labels: ItemCounts;
  labelUnit: string;
  maxBad: number;
  strict: boolean;
  /** The first few bad items, named (every one of them was printed as a warning). */
  examples: string[];
}

const EXAMPLES = 10;

/** Thrown when too much of the data is bad (a one-line EdgeoptError like any other). */
export class DataQualityError extends EdgeoptError {}

export class DataQuality {
  private readonly images: ItemCounts = { total: 0, skipped: 0, reasons: {} };
  private readonly labels: ItemCounts = { total: 0, skipped: 0, reasons: {} };
  private readonly examples: string[] = [];
  readonly maxBad: number;
  readonly strict: boolean;
  private readonly what: string;
  private readonly labelUnit: string;

  constructor(private readonly options: DataQualityOptions = {}) {
    this.maxBad = options.maxBad ?? DEFAULT_MAX_BAD;
    if (!(this.maxBad >= 0 && this.maxBad <= 1)) throw new EdgeoptError(`max-bad must be a share from 0 to 1, got ${this.maxBad}`);
    this.strict = options.strict ?? false;
    this.what = options.what ?? 'data';
    this.labelUnit = options.labelUnit ?? 'label lines';
  }

  goodImage(): void {
    this.images.total++;
  }

  goodLabels(count = 1): void {
    this.labels.total += count;
  }

  /** An image that cannot be used: `file` names it, `reason` is the short category, `detail` the why. */
  badImage(file: string, reason: string, detail: string): void {
    this.bad(this.images, `${file}: ${detail}; image skipped`, reason);
  }

  /** A rejected label: `where` is file:line (or file: annotation id). */
  badLabel(where: string, reason: string, detail: string): void {
    this.bad(this.labels, `${where}: ${detail}; ${this.labelUnit === 'label lines' ? 'line' : 'annotation'} skipped`, reason);
  }

  private bad(counts: ItemCounts, line: string, reason: string): void {
    counts.total++;
    counts.skipped++;
    counts.reasons[reason] = (counts.reasons[reason] ?? 0) + 1;
    if (this.examples.length < EXAMPLES) this.examples.push(line);
    if (this.strict) throw new DataQualityError(`${line.replace(/; (image|line|annotation) skipped$/, '')} (--strict stops at the first bad item)`);
    this.options.onWarning?.(line);
  }

  summary(): DataQualitySummary {
    const copy = (c: ItemCounts): ItemCounts => ({ total: c.total, skipped: c.skipped, reasons: { ...c.reasons } });
    return { images: copy(this.images), labels: copy(this.labels), labelUnit: this.labelUnit, maxBad: this.maxBad, strict: this.strict, examples: [...this.examples] };
  }

  /** Fails with one line when more than `maxBad` of the images or of the labels were bad. */
  enforce(): void {
    const over = (c: ItemCounts) => c.total > 0 && c.skipped / c.total > this.maxBad;
    const parts: string[] = [];
    if (over(this.images)) parts.push(`${share(this.images)} of the images are unusable (${reasonList(this.images.reasons)})`);
    if (over(this.labels)) parts.push(`${share(this.labels)} of the ${this.labelUnit} are bad (${reasonList(this.labels.reasons)})`);
    if (parts.length === 0) return;
    throw new DataQualityError(
      `${this.what}: ${parts.join(' and ')}, more than --max-bad ${formatPercent(this.maxBad)}; each is named in a warning above (raise --max-bad to use the rest anyway)`,
    );
  }
}

function share(c: ItemCounts): string {
  return `${c.skipped} of ${c.total} (${formatPercent(c.skipped / c.total)})`;
}

function reasonList(reasons: Record<string, number>): string {
  return Object.entries(reasons)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ');
}

export function formatPercent(fraction: number): string {
  const p = fraction * 100;
  return `${Number.isInteger(p) ? p.toFixed(0) : p < 1 ? p.toPrecision(2) : p.toFixed(1)}%`;
}

/**
 * One line for reports: "3 of 128 images skipped: 3 corrupt; 2 label lines skipped: 1 duplicate, 1 class id out
 * of range", or "no bad data (128 images, 898 label lines)".
 */
export function describeDataQuality(q: DataQualitySummary): string {
  const parts: string[] = [];
  if (q.images.skipped > 0) parts.push(`${q.images.skipped} of ${q.images.total} images skipped: ${reasonList(q.images.reasons)}`);
  if (q.labels.skipped > 0) parts.push(`${q.labels.skipped} of ${q.labels.total} ${q.labelUnit} skipped: ${reasonList(q.labels.reasons)}`);
  if (parts.length === 0) {
    const labels = q.labels.total > 0 ? `, ${q.labels.total} ${q.labelUnit}` : '';
    return `no bad data (${q.images.total} image${q.images.total === 1 ? '' : 's'}${labels})`;
  }
  return parts.join('; ');
}

/** Parses a --max-bad value: a percentage ('5', '5%', '12.5') into a share 0..1. */
export function parseMaxBad(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  const value = m ? Number(m[1]) : NaN;
  if (!(value >= 0 && value <= 100)) throw new EdgeoptError(`--max-bad must be a percentage from 0 to 100 (e.g. 5 or 5%), got '${text}'`);
  return value / 100;
}
