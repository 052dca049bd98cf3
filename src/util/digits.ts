/**
 * Integers with thousands separators ("1,872,157"), as toLocaleString('en-US') writes them, without it:
 * the first toLocaleString or localeCompare in a process initialises ICU, ~40 ms here, which alone was a
 * third of `edgeopt inspect`'s start-up budget. Pure.
 */
export function groupDigits(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  const [int, frac] = String(Math.abs(n)).split('.');
  if (!/^\d+$/.test(int!)) return String(n); // exponent notation: leave as is
  return `${sign}${int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac === undefined ? '' : `.${frac}`}`;
}

/** Code-unit order for ASCII identifiers (class and op names): the order localeCompare gives them, minus ICU. */
export function compareAscii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
