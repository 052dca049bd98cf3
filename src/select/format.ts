/** What `edgeopt select` prints: the summary, then one line per variant (* chosen, x rejected). */
import type { SelectionResult } from '../results/schema.js';

export function formatSelection(selection: SelectionResult): string {
  const lines = selection.reasons.map((r) => `  ${r.variant === selection.chosen ? '*' : r.accepted ? ' ' : 'x'} ${r.text}`);
  return `${selection.summary}\n\n${lines.map((l) => `${l}\n`).join('')}`;
}
