/** The text `edgeopt detect` prints: per video its latency and FPS, per image what it found, then a summary line. */
import type { DetectedObject } from './image.js';
import type { DetectReport } from './run.js';

/** "person 4, bus 1" */
export function countByName(detections: readonly DetectedObject[]): string {
  const counts = new Map<string, number>();
  for (const d of detections) counts.set(d.name, (counts.get(d.name) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${name} ${n}`).join(', ') || 'nothing';
}

export function formatDetectReport(report: DetectReport): string {
  const lines = [
    ...report.videos.map((v) => `${v.file}: ${v.frames} frames, model latency mean ${v.latencyMs.mean} ms / p95 ${v.latencyMs.p95} ms, pipeline ${v.fps} FPS`),
    ...report.images.map((image) => `${image.file}: ${countByName(image.detections)}`),
  ];
  const parts = [`${report.images.length} image(s)`, `${report.videos.length} video(s)`];
  if (report.failures.length) parts.push(`${report.failures.length} failed`);
  lines.push(`${parts.join(', ')}; detections in ${report.detectionsJson}`);
  return `${lines.join('\n')}\n`;
}
