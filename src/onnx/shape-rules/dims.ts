import type { ValueInfoProto } from '../types.js';
import type { Dim, ShapeContext, TensorType } from './types.js';
import { invalidShape } from './types.js';

export function isKnownShape(shape: readonly Dim[]): shape is number[] {
  return shape.every((d) => typeof d === 'number');
}

/** Product of the dims, or undefined when any is symbolic. */
export function knownProduct(shape: readonly Dim[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

/** Maps a possibly negative axis into [0, rank). */
export function normalizeAxis(ctx: ShapeContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw invalidShape(ctx, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** numpy-style broadcasting of any number of shapes. */
export function broadcastShapes(ctx: ShapeContext, shapes: ReadonlyArray<readonly Dim[]>): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const shape of shapes) {
      const d = shape[shape.length - rank + i];
      if (d === undefined || d === 1) continue;
      if (dim === 1) dim = d;
      else if (typeof dim === 'number' && typeof d === 'number') {
        if (dim !== d) throw invalidShape(ctx, `cannot broadcast shapes ${shapes.map(formatShape).join(' and ')}`);
      } else if (typeof dim === 'string' && typeof d === 'number') {
        dim = d; // a symbol broadcast against a known size > 1 must be that size (or 1)
      }
    }
    out.push(dim);
  }
  return out;
}

export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(',')}]`;
}

/** Output type of an elementwise op: inputs broadcast, element type of input `typeFrom`. */
export function broadcastInputs(ctx: ShapeContext, indices: number[], typeFrom = indices[0]!): TensorType | undefined {
  const types = indices.map((i) => ctx.input(i));
  if (types.some((t) => t === undefined)) return undefined;
  return { dataType: ctx.input(typeFrom)!.dataType, shape: broadcastShapes(ctx, types.map((t) => t!.shape)) };
}

/** dim arithmetic that keeps symbols symbolic (as a fresh symbol) rather than guessing. */
export function mapDim(ctx: ShapeContext, d: Dim, f: (n: number) => number): Dim {
  return typeof d === 'number' ? f(d) : ctx.symbol();
}

/** The declared type of a value_info / graph input / output, when it declares a shape. */
export function valueInfoType(info: ValueInfoProto): TensorType | undefined {
  const tensorType = info.type?.tensorType;
  if (!tensorType?.shape) return undefined;
  return {
    dataType: tensorType.elemType ?? 0,
    // A dim with neither field set is unknown; protobufjs only gives fields that were present as own properties.
    // Some exporters (Paddle2ONNX) write a dynamic dim as dimValue -1: unknown, like an absent one.
    shape: tensorType.shape.dim.map((d, i): Dim =>
      d.dimParam ? d.dimParam : Object.hasOwn(d, 'dimValue') && d.dimValue !== null && Number(d.dimValue) >= 0 ? Number(d.dimValue) : `${info.name ?? ''}_dim${i}`,
    ),
  };
}
