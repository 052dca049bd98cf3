/**
 * numpy.round / Python round(): ties go to the even neighbour (2.5 → 2, 3.5 → 4, -2.5 → -2).
 * Quantization, the letterbox padding and the official depth scaling all depend on this exact rule.
 * Pure (no imports), so the browser demo can load it too.
 */
export function roundHalfToEven(value: number): number {
  const rounded = Math.round(value); // ties toward +infinity
  if (rounded - value === 0.5 && rounded % 2 !== 0) return rounded - 1;
  return rounded + 0; // -0 → 0: pixel offsets and integer codes have no sign of zero
}
