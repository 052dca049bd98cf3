/**
 * Class names for detections. Pure parsing (the demo reads the same metadata in the browser).
 */

/**
 * Parses the `names` metadata that YOLO exporters write: a Python dict literal such as
 * "{0: 'person', 1: 'bicycle'}" (or a Python list "['person', 'bicycle']"). Returns names indexed by class id,
 * or undefined when the text is not in either form.
 */
export function parseNamesMetadata(text: string | undefined): string[] | undefined {
  if (!text) return undefined;
  const trimmed = text.trim();
  const names: string[] = [];
  if (trimmed.startsWith('{')) {
    const entry = /(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g;
    for (const m of trimmed.matchAll(entry)) names[Number(m[1])] = unescapePython(m[2] ?? m[3] ?? '');
  } else if (trimmed.startsWith('[')) {
    const item = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g;
    for (const m of trimmed.matchAll(item)) names.push(unescapePython(m[1] ?? m[2] ?? ''));
  }
  if (names.length === 0) return undefined;
  // A dict with gaps still yields a dense array; missing ids get a generic name.
  return Array.from(names, (n, i) => n ?? `class${i}`);
}

function unescapePython(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** A names file: one class name per line (blank lines ignored), line i = class i. */
export function parseNamesList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** The display name of a class id, falling back to its number. */
export function className(names: readonly string[] | undefined, classId: number): string {
  return names?.[classId] ?? `class${classId}`;
}
