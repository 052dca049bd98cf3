/** A Markdown table with right-aligned numeric columns. */
export function markdownTable(header: string[], rows: Array<Array<string | number>>, numeric: boolean[] = []): string {
  const align = header.map((_, i) => (numeric[i] ? '---:' : '---'));
  const line = (cells: Array<string | number>) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), `|${align.join('|')}|`, ...rows.map(line)].join('\n');
}

