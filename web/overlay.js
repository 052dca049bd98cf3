// Draws a frame and its detections on the visible canvas.
import { className } from '/lib/eval/names.js';

/** A stable, well-spread colour per class (golden-angle hue steps). */
export function classColour(classId) {
  return `hsl(${Math.round((classId * 137.508) % 360)}, 85%, 50%)`;
}

export function drawFrame(canvas, source, width, height, detections, classNames) {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(source, 0, 0, width, height);
  // Line width and font follow the frame size so labels stay readable on large and small frames.
  const line = Math.max(2, Math.round(Math.min(width, height) / 200));
  const fontPx = Math.max(12, Math.round(Math.min(width, height) / 40));
  ctx.lineWidth = line;
  ctx.font = `${fontPx}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  for (const d of detections) {
    const [x1, y1, x2, y2] = d.box;
    const colour = classColour(d.classId);
    ctx.strokeStyle = colour;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const label = `${className(classNames, d.classId)} ${d.score.toFixed(2)}`;
    const textWidth = ctx.measureText(label).width + 2 * line;
    const labelY = y1 - fontPx - 2 * line >= 0 ? y1 - fontPx - 2 * line : y1;
    ctx.fillStyle = colour;
    ctx.fillRect(x1 - line / 2, labelY, textWidth, fontPx + 2 * line);
    ctx.fillStyle = '#fff';
    ctx.fillText(label, x1 + line / 2, labelY + line);
  }
}
