// Draws a frame and its detections on the visible canvas, with the colours and labels `edgeopt detect` uses.
import { classColor, detectionLabel, textColorOn } from '/lib/detect/annotate.js';

/**
 * @param {HTMLCanvasElement} canvas
 * @param {CanvasImageSource} source
 * @param {number} width
 * @param {number} height
 * @param {import('../src/eval/decode.js').Detection[]} detections
 * @param {readonly string[]} classNames
 */
export function drawFrame(canvas, source, width, height, detections, classNames) {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser gives no 2D canvas context');
  ctx.drawImage(source, 0, 0, width, height);
  // Line width and font follow the frame size so labels stay readable on large and small frames.
  const line = Math.max(2, Math.round(Math.min(width, height) / 200));
  const fontPx = Math.max(12, Math.round(Math.min(width, height) / 40));
  ctx.lineWidth = line;
  ctx.font = `${fontPx}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  for (const d of detections) {
    const [x1, y1, x2, y2] = d.box;
    const colour = classColor(d.classId);
    ctx.strokeStyle = colour;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const label = detectionLabel(d, classNames);
    const textWidth = ctx.measureText(label).width + 2 * line;
    const labelY = y1 - fontPx - 2 * line >= 0 ? y1 - fontPx - 2 * line : y1;
    ctx.fillStyle = colour;
    ctx.fillRect(x1 - line / 2, labelY, textWidth, fontPx + 2 * line);
    ctx.fillStyle = textColorOn(colour);
    ctx.fillText(label, x1 + line / 2, labelY + line);
  }
}
