/**
 * The candidate boxes a decoder emits before NMS, in structure-of-arrays form (what NMS reads), with the
 * score/class selection every family shares: best class only, or every class above the threshold (multi-label).
 */
import type { NmsCandidates } from '../nms.js';

export class CandidateList implements NmsCandidates {
  boxes = new Float32Array(4 * 1024);
  scores = new Float32Array(1024);
  classIds = new Int32Array(1024);
  count = 0;

  /** Adds a corner-form box [x1, y1, x2, y2]. */
  push(x1: number, y1: number, x2: number, y2: number, score: number, classId: number): void {
    if (this.count === this.scores.length) this.grow();
    const i = this.count++;
    this.boxes[4 * i] = x1;
    this.boxes[4 * i + 1] = y1;
    this.boxes[4 * i + 2] = x2;
    this.boxes[4 * i + 3] = y2;
    this.scores[i] = score;
    this.classIds[i] = classId;
  }

  /** Adds a centre-form box. */
  pushCentre(cx: number, cy: number, w: number, h: number, score: number, classId: number): void {
    this.push(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score, classId);
  }

  /**
   * Adds the box once per class that passes (`multiLabel`) or once with its best class; the score of class c
   * is `objectness × classScore(c)`.
   */
  pushClasses(
    box: readonly [number, number, number, number],
    objectness: number,
    numClasses: number,
    classScore: (c: number) => number,
    conf: number,
    multiLabel: boolean,
  ): void {
    if (multiLabel) {
      for (let c = 0; c < numClasses; c++) {
        const score = classScore(c) * objectness;
        if (score > conf) this.push(box[0], box[1], box[2], box[3], score, c);
      }
      return;
    }
    let best = -Infinity;
    let bestClass = 0;
    for (let c = 0; c < numClasses; c++) {
      const s = classScore(c);
      if (s > best) {
        best = s;
        bestClass = c;
      }
    }
    const score = best * objectness;
    if (score > conf) this.push(box[0], box[1], box[2], box[3], score, bestClass);
  }

  private grow(): void {
    const n = this.scores.length * 2;
    const boxes = new Float32Array(4 * n);
    boxes.set(this.boxes);
    const scores = new Float32Array(n);
    scores.set(this.scores);
    const classIds = new Int32Array(n);
    classIds.set(this.classIds);
    this.boxes = boxes;
    this.scores = scores;
    this.classIds = classIds;
  }

  /** Keeps the `limit` best-scoring candidates (the validators' max_nms), preserving no particular order. */
  truncate(limit: number): CandidateList {
    if (this.count <= limit) return this;
    // The same result as a stable sort of every index by score, cut at `limit` — but a comparator sort of 100k+
    // candidates (a GFL head at conf 0.001, multi-label) costs more than the inference: find the cut score with
    // a native typed-array sort, keep what is above it (then ties, in index order), and sort only those.
    const sorted = this.scores.slice(0, this.count).sort();
    const cut = sorted[this.count - limit]!;
    const kept: number[] = [];
    for (let i = 0; i < this.count; i++) if (this.scores[i]! > cut) kept.push(i);
    for (let i = 0; i < this.count && kept.length < limit; i++) if (this.scores[i] === cut) kept.push(i);
    kept.sort((i, j) => this.scores[j]! - this.scores[i]! || i - j);
    return this.select(kept);
  }

  /** A new list with the candidates at `indices`, in that order. */
  select(indices: readonly number[]): CandidateList {
    const out = new CandidateList();
    for (const i of indices) {
      out.push(this.boxes[4 * i]!, this.boxes[4 * i + 1]!, this.boxes[4 * i + 2]!, this.boxes[4 * i + 3]!, this.scores[i]!, this.classIds[i]!);
    }
    return out;
  }
}
