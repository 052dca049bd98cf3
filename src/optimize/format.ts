/** What `edgeopt optimize` prints: each rewrite and what it replaced, then the node count and the file written. */
import type { OptimizeFileResult } from './file.js';

export function formatOptimizeResult(result: OptimizeFileResult): string {
  const { report } = result;
  const lines = report.applied.map((a) => `${a.rewrite}: ${a.matches === 0 ? 'no match (model unchanged by it)' : `${a.matches} match(es), replaced ${a.nodes.join(', ')}`}`);
  lines.push(`nodes ${report.nodesBefore} → ${report.nodesAfter}; wrote ${result.output} (${(result.bytes / 1e6).toFixed(1)} MB)`);
  return `${lines.join('\n')}\n`;
}
