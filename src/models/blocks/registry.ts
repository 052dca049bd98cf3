/**
 * Module name → block builder, the one table a new YOLO block is registered in. Names are those the yaml writes
 * ('C3', 'nn.Upsample'); checkpoints' class paths ('models.common.C3', 'ultralytics.nn.modules.block.C3') map
 * to the same short name. `widthScaled` blocks take (c1, c2, …) with c2 scaled by the width multiple;
 * `repeatsInArgs` blocks take the repeat count as their third argument instead of being stacked.
 */
import type { ArchitectureSpec } from '../architecture.js';
import type { FeatureMap, GraphContext } from '../graph-context.js';
import { bottleneck } from './bottleneck.js';
import { c2f } from './c2f.js';
import { c2psa } from './c2psa.js';
import { c3, c3k } from './c3.js';
import { c3k2 } from './c3k2.js';
import { concat } from './concat.js';
import { convBnAct, dwConv } from './conv.js';
import { detectUltra } from './detect-ultra.js';
import { detectV5 } from './detect-v5.js';
import { sppf } from './sppf.js';
import { upsample } from './upsample.js';

export interface BlockCall {
  ctx: GraphContext;
  spec: ArchitectureSpec;
  /** Module path, e.g. 'model.4' (or 'model.4.1' inside a stacked nn.Sequential). */
  path: string;
  inputs: FeatureMap[];
  /** Constructor arguments after parse_model: (c1, c2, [n], …) for width-scaled blocks. */
  args: unknown[];
  inputSize: [number, number];
}

export interface BlockEntry {
  widthScaled: boolean;
  repeatsInArgs: boolean;
  build(call: BlockCall): FeatureMap;
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);
const bool = (v: unknown, fallback: boolean): boolean => (typeof v === 'boolean' ? v : fallback);
const single = (call: BlockCall): FeatureMap => call.inputs[0]!;

const BLOCKS: Record<string, BlockEntry> = {
  Conv: {
    widthScaled: true,
    repeatsInArgs: false,
    // Conv(c1, c2, k=1, s=1, p=None, g=1, d=1, act=True)
    build: ({ ctx, path, inputs, args }) =>
      convBnAct(ctx, path, inputs[0]!, {
        c2: num(args[1], 0),
        k: num(args[2], 1),
        s: num(args[3], 1),
        p: typeof args[4] === 'number' ? args[4] : undefined,
        g: num(args[5], 1),
        d: num(args[6], 1),
        act: args[7] === false ? false : true,
      }),
  },
  DWConv: {
    widthScaled: true,
    repeatsInArgs: false,
    build: (call) => dwConv(call.ctx, call.path, single(call), { c2: num(call.args[1], 0), k: num(call.args[2], 1), s: num(call.args[3], 1), d: num(call.args[4], 1) }),
  },
  Bottleneck: {
    widthScaled: true,
    repeatsInArgs: false,
    build: (call) =>
      bottleneck(call.ctx, call.path, single(call), { c2: num(call.args[1], 0), shortcut: bool(call.args[2], true), g: num(call.args[3], 1), k: [3, 3], e: num(call.args[5], 0.5) }),
  },
  C3: {
    widthScaled: true,
    repeatsInArgs: true,
    // C3(c1, c2, n=1, shortcut=True, g=1, e=0.5)
    build: (call) =>
      c3(call.ctx, call.path, single(call), { c2: num(call.args[1], 0), n: num(call.args[2], 1), shortcut: bool(call.args[3], true), g: num(call.args[4], 1), e: num(call.args[5], 0.5) }),
  },
  C3k: {
    widthScaled: true,
    repeatsInArgs: true,
    build: (call) =>
      c3k(call.ctx, call.path, single(call), { c2: num(call.args[1], 0), n: num(call.args[2], 1), shortcut: bool(call.args[3], true), g: num(call.args[4], 1), e: num(call.args[5], 0.5), k: num(call.args[6], 3) }),
  },
  C2f: {
    widthScaled: true,
    repeatsInArgs: true,
    // C2f(c1, c2, n=1, shortcut=False, g=1, e=0.5)
    build: (call) =>
      c2f(call.ctx, call.path, single(call), { c2: num(call.args[1], 0), n: num(call.args[2], 1), shortcut: bool(call.args[3], false), g: num(call.args[4], 1), e: num(call.args[5], 0.5) }),
  },
  C3k2: {
    widthScaled: true,
    repeatsInArgs: true,
    // C3k2(c1, c2, n=1, c3k=False, e=0.5, g=1, shortcut=True)
    build: (call) =>
      c3k2(call.ctx, call.path, single(call), {
        c2: num(call.args[1], 0),
        n: num(call.args[2], 1),
        c3k: bool(call.args[3], false),
        e: num(call.args[4], 0.5),
        g: num(call.args[5], 1),
        shortcut: bool(call.args[6], true),
      }),
  },
  C2PSA: {
    widthScaled: true,
    repeatsInArgs: true,
    build: (call) => c2psa(call.ctx, call.path, single(call), { c2: num(call.args[1], 0), n: num(call.args[2], 1), e: num(call.args[3], 0.5) }),
  },
  SPPF: {
    widthScaled: true,
    repeatsInArgs: false,
    build: (call) => sppf(call.ctx, call.path, single(call), { c2: num(call.args[1], 0), k: num(call.args[2], 5) }),
  },
  Concat: {
    widthScaled: false,
    repeatsInArgs: false,
    build: (call) => concat(call.ctx, call.path, call.inputs, num(call.args[0], 1)),
  },
  'nn.Upsample': {
    widthScaled: false,
    repeatsInArgs: false,
    // nn.Upsample(size=None, scale_factor=2, mode='nearest')
    build: (call) => upsample(call.ctx, call.path, single(call), num(call.args[1], 2), typeof call.args[2] === 'string' ? call.args[2] : 'nearest'),
  },
  Detect: {
    widthScaled: false,
    repeatsInArgs: false,
    build: (call) =>
      call.spec.family === 'yolov5'
        ? detectV5(call.ctx, call.path, call.inputs, { nc: num(call.args[0], call.spec.nc), anchors: call.spec.anchors, inputSize: call.inputSize })
        : detectUltra(call.ctx, call.path, call.inputs, {
            nc: num(call.args[0], call.spec.nc),
            inputSize: call.inputSize,
            // parse_model builds YOLO11's DWConv head exactly when the yaml uses C3k2 (its `legacy` flag).
            defaultHead: call.spec.layers.some((l) => l.module === 'C3k2') ? 'dwconv' : 'dense',
          }),
  },
};

/** Short module name of a yaml entry or a pickled class path ('torch.nn.modules.upsampling.Upsample' → 'nn.Upsample'). */
export function moduleShortName(name: string): string {
  if (name.startsWith('torch.nn.modules.')) return `nn.${name.split('.').pop()}`;
  if (name.startsWith('torch.nn.')) return `nn.${name.slice('torch.nn.'.length)}`;
  if (name.startsWith('nn.')) return name;
  return name.split('.').pop() ?? name;
}

export function blockFor(module: string): BlockEntry | undefined {
  return BLOCKS[moduleShortName(module)];
}

export const SUPPORTED_MODULES: readonly string[] = Object.keys(BLOCKS);
