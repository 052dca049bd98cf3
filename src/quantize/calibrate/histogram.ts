/**
 * Running statistics of one activation tensor over a calibration set: exact min/max plus a histogram of
 * |x|. Memory is fixed (one histogram per tensor) whatever the number of images, which is the point:
 * onnxruntime's Python calibrators keep every batch's outputs and run out of memory on large sets.
 *
 * The histogram covers [0, range) with a fixed bin count; when a batch exceeds the range, the range doubles
 * and adjacent bins merge pairwise. Doubling keeps bin edges aligned, so merging loses no counts and puts
 * none in the wrong bin (resolution is at worst half of what a second pass over the data would give).
 */
export const DEFAULT_HISTOGRAM_BINS = 2048;

export class ActivationStats {
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** Elements seen (all of them, including exact zeros). */
  count = 0;
  /** Upper edge of the histogram; 0 until a non-zero value has been seen. */
  range = 0;
  readonly bins: Float64Array;
  /**
   * The same histogram for the negative values alone (|x| of x < 0), so that each side's tail is known: an
   * asymmetric range (uint8) can clip the two sides differently. Positive counts are `bins − negativeBins`.
   */
  readonly negativeBins: Float64Array;
  /** Zeros seen before the histogram had a range; added to bin 0 once it has one. */
  private zeros = 0;
  private readonly lanes: Float64Array;

  constructor(binCount = DEFAULT_HISTOGRAM_BINS) {
    if (binCount < 2 || binCount % 2 !== 0) throw new RangeError(`histogram bin count must be even and >= 2, got ${binCount}`);
    this.bins = new Float64Array(binCount);
    this.negativeBins = new Float64Array(binCount);
    this.lanes = new Float64Array(binCount * 4);
  }

  get binWidth(): number {
    return this.range / this.bins.length;
  }

  /**
   * Adds one batch of values. This runs over ~40M floats per YOLO image, so it is the calibration's hot spot:
   * one pass for min/max, then a binning pass that spreads consecutive values over four interleaved copies of
   * the histogram (runs of equal bins otherwise serialise on the same counter), folded at the end.
   * Non-finite values are skipped: they have no quantized representation.
   */
  update(values: Float32Array): void {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    let nan = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      if (v !== v) nan++;
    }
    if (nan > 0 || lo === Number.NEGATIVE_INFINITY || hi === Number.POSITIVE_INFINITY) {
      this.update(values.filter((v) => Number.isFinite(v)));
      return;
    }
    if (lo > hi) return; // empty batch
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
    this.count += values.length;
    const absMax = Math.max(-lo, hi);
    if (absMax === 0) {
      this.zeros += values.length;
      return;
    }
    this.growTo(absMax);
    const n = this.bins.length;
    const last = n - 1;
    const scale = n / this.range;
    const lanes = this.lanes;
    const whole = values.length & ~3;
    for (let i = 0; i < whole; i += 4) {
      let b0 = (Math.abs(values[i]!) * scale) | 0;
      let b1 = (Math.abs(values[i + 1]!) * scale) | 0;
      let b2 = (Math.abs(values[i + 2]!) * scale) | 0;
      let b3 = (Math.abs(values[i + 3]!) * scale) | 0;
      if (b0 > last) b0 = last;
      if (b1 > last) b1 = last;
      if (b2 > last) b2 = last;
      if (b3 > last) b3 = last;
      lanes[b0 << 2]!++;
      lanes[(b1 << 2) | 1]!++;
      lanes[(b2 << 2) | 2]!++;
      lanes[(b3 << 2) | 3]!++;
    }
    for (let i = whole; i < values.length; i++) {
      const b = Math.min((Math.abs(values[i]!) * scale) | 0, last);
      lanes[b << 2]!++;
    }
    // Negative values are rarer than positive ones in most activations (SiLU/ReLU outputs have few or none):
    // a second, branchy pass over them alone costs little.
    if (lo < 0) {
      const negative = this.negativeBins;
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (v < 0) negative[Math.min((-v * scale) | 0, last)]!++;
      }
    }
    const bins = this.bins;
    for (let b = 0; b < n; b++) {
      const k = b << 2;
      bins[b] = bins[b]! + lanes[k]! + lanes[k + 1]! + lanes[k + 2]! + lanes[k + 3]!;
    }
    lanes.fill(0);
  }

  /** Widens the histogram (doubling, merging bin pairs) until it covers `absMax`. */
  private growTo(absMax: number): void {
    if (this.range === 0) {
      this.range = absMax;
      this.bins[0] = this.bins[0]! + this.zeros;
      this.zeros = 0;
      return;
    }
    const n = this.bins.length;
    while (this.range < absMax) {
      for (const bins of [this.bins, this.negativeBins]) {
        for (let j = 0; j < n / 2; j++) bins[j] = bins[2 * j]! + bins[2 * j + 1]!;
        bins.fill(0, n / 2);
      }
      this.range *= 2;
    }
  }
}
