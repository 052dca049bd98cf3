/**
 * How detections are drawn: one colour per class and an SVG overlay (boxes, `name score` labels, an optional
 * caption such as latency/FPS). Pure string building without node imports, so the browser demo draws with the
 * same colours; `edgeopt detect` composites the SVG onto images and video frames with sharp.
 */
import type { Detection } from '../eval/decode.js';
import { className } from '../eval/names.js';

function hslToHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number): string => {
    const k = (n + h * 12) % 12;
    const v = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** A stable, well-separated colour per class: hues step by the golden angle so neighbouring ids differ. */
export function classColor(classId: number): string {
  const hue = (classId * 0.618033988749895 + 0.05) % 1;
  return hslToHex(hue, 0.85, classId % 2 === 0 ? 0.5 : 0.42);
}

/** Black or white, whichever reads better on `hex`. */
export function textColorOn(hex: string): string {
  const v = parseInt(hex.slice(1), 16);
  const luminance = 0.299 * ((v >> 16) & 255) + 0.587 * ((v >> 8) & 255) + 0.114 * (v & 255);
  return luminance > 150 ? '#000000' : '#ffffff';
}

/** The label drawn on a box. */
export function detectionLabel(detection: Detection, names: readonly string[] | undefined): string {
  return `${className(names, detection.classId)} ${detection.score.toFixed(2)}`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

export interface OverlayOptions {
  names?: readonly string[];
  /** Lines drawn in the top-left corner (e.g. latency and FPS). */
  caption?: string[];
}

/** An SVG of the image's size with every detection's box and label (boxes in image pixels). */
export function annotationSvg(width: number, height: number, detections: readonly Detection[], options: OverlayOptions = {}): string {
  const line = Math.max(2, Math.round((width + height) * 0.0015));
  const font = Math.max(12, Math.round(line * 6));
  const charWidth = font * 0.6;
  const parts: string[] = [];
  for (const d of detections) {
    const color = classColor(d.classId);
    const [x1, y1, x2, y2] = d.box.map((v) => Math.round(v * 10) / 10) as [number, number, number, number];
    const label = escapeXml(detectionLabel(d, options.names));
    const labelWidth = Math.ceil(label.length * charWidth + font * 0.4);
    const labelHeight = Math.ceil(font * 1.3);
    // Put the label above the box, or inside it when the box touches the top edge.
    const ly = y1 - labelHeight >= 0 ? y1 - labelHeight : y1;
    const lx = Math.min(Math.max(0, x1), Math.max(0, width - labelWidth));
    parts.push(
      `<rect x="${x1}" y="${y1}" width="${Math.max(0, x2 - x1)}" height="${Math.max(0, y2 - y1)}" fill="none" stroke="${color}" stroke-width="${line}"/>`,
      `<rect x="${lx}" y="${ly}" width="${labelWidth}" height="${labelHeight}" fill="${color}"/>`,
      `<text x="${lx + font * 0.2}" y="${ly + font}" fill="${textColorOn(color)}">${label}</text>`,
    );
  }
  if (options.caption?.length) {
    const captionFont = Math.max(14, Math.round(font * 1.1));
    const boxWidth = Math.ceil(Math.max(...options.caption.map((c) => c.length)) * captionFont * 0.6 + captionFont);
    const boxHeight = Math.ceil(options.caption.length * captionFont * 1.3 + captionFont * 0.4);
    parts.push(`<rect x="0" y="0" width="${boxWidth}" height="${boxHeight}" fill="#000000" fill-opacity="0.6"/>`);
    options.caption.forEach((c, i) => {
      parts.push(`<text x="${captionFont * 0.5}" y="${Math.round(captionFont * (1.2 + 1.3 * i))}" fill="#ffffff" font-size="${captionFont}">${escapeXml(c)}</text>`);
    });
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<g font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="${font}">${parts.join('')}</g></svg>`
  );
}
