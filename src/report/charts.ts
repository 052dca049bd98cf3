import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { RunResults, SearchRecord, VariantResult } from '../results/schema.js';
import { searchCandidates } from './search.js';

/**
 * Charts as standalone SVG, rendered by Vega in Node (no browser, no canvas): declarative specs are
 * short, readable and diff well, and the SVG opens anywhere a report.md is viewed.
 */
export interface Chart {
  file: string;
  title: string;
  svg: string;
}

type Spec = vegaLite.TopLevelSpec;

async function render(spec: Spec): Promise<string> {
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', background: 'white', config: { font: 'sans-serif' } } as const;

function sizeChart(variants: VariantResult[]): Spec {
  return {
    ...base,
    title: 'Model size per variant (MB)',
    width: 420,
    data: { values: variants.map((v) => ({ variant: v.name, mb: v.sizeBytes / 1e6 })) },
    layer: [
      { mark: 'bar', encoding: { y: { field: 'variant', type: 'nominal', sort: null, title: null }, x: { field: 'mb', type: 'quantitative', title: 'MB' } } },
      {
        mark: { type: 'text', align: 'left', dx: 3 },
        encoding: { y: { field: 'variant', type: 'nominal', sort: null }, x: { field: 'mb', type: 'quantitative' }, text: { field: 'mb', type: 'quantitative', format: '.2f' } },
      },
    ],
  } as Spec;
}

function latencyChart(variants: VariantResult[]): Spec | undefined {
  const rows = variants.flatMap((v) =>
    (['controlled', 'practical'] as const).flatMap((scenario) => {
      const s = v.benchmarks[scenario];
      return s ? [{ variant: v.name, scenario, p50: s.p50Ms, p5: s.p5Ms, p95: s.p95Ms }] : [];
    }),
  );
  if (rows.length === 0) return undefined;
  return {
    ...base,
    title: 'Latency per variant: median with p5–p95 whiskers (ms, lower is better)',
    data: { values: rows },
    facet: { row: { field: 'scenario', type: 'nominal', title: null } },
    spec: {
      width: 420,
      layer: [
        { mark: 'bar', encoding: { y: { field: 'variant', type: 'nominal', sort: null, title: null }, x: { field: 'p50', type: 'quantitative', title: 'ms' } } },
        { mark: { type: 'rule', color: 'black' }, encoding: { y: { field: 'variant', type: 'nominal', sort: null }, x: { field: 'p5', type: 'quantitative' }, x2: { field: 'p95' } } },
        { mark: { type: 'text', align: 'left', dx: 4, dy: -7 }, encoding: { y: { field: 'variant', type: 'nominal', sort: null }, x: { field: 'p95', type: 'quantitative' }, text: { field: 'p50', type: 'quantitative', format: '.1f' } } },
      ],
    },
  } as Spec;
}

function opsChart(variants: VariantResult[]): Spec | undefined {
  const profiled = variants.filter((v) => v.profile && v.profile.opTypes.length > 0);
  if (profiled.length === 0) return undefined;
  // Top op types across all variants; the rest are summed so the stacks still add up to the run.
  const totals = new Map<string, number>();
  for (const v of profiled) for (const op of v.profile!.opTypes) totals.set(op.opType, (totals.get(op.opType) ?? 0) + op.ms);
  const top = new Set([...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, 9).map(([op]) => op));
  const rows = profiled.flatMap((v) => {
    const other = v.profile!.opTypes.filter((o) => !top.has(o.opType)).reduce((s, o) => s + o.ms, 0);
    return [...v.profile!.opTypes.filter((o) => top.has(o.opType)).map((o) => ({ variant: v.name, op: o.opType, ms: o.ms })), ...(other > 0 ? [{ variant: v.name, op: 'other', ms: other }] : [])];
  });
  return {
    ...base,
    title: `Time per operator type per run (ms, ${profiled[0]!.profile!.scenario} scenario, onnxruntime profiler)`,
    width: 420,
    data: { values: rows },
    mark: 'bar',
    encoding: {
      y: { field: 'variant', type: 'nominal', sort: null, title: null },
      x: { field: 'ms', type: 'quantitative', stack: 'zero', title: 'ms per run' },
      color: { field: 'op', type: 'nominal', title: 'operator', scale: { scheme: 'tableau10' } },
      order: { field: 'ms', type: 'quantitative', sort: 'descending' },
    },
  } as Spec;
}

function threadsChart(variants: VariantResult[]): Spec | undefined {
  const rows = variants.flatMap((v) => (v.benchmarks.sweep ?? []).map((s) => ({ variant: v.name, threads: s.threads, p50: s.stats.p50Ms })));
  if (rows.length === 0) return undefined;
  return {
    ...base,
    title: 'Thread scaling: median latency vs intra-op threads (ms)',
    width: 420,
    height: 260,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'threads', type: 'ordinal', title: 'intra-op threads' },
      y: { field: 'p50', type: 'quantitative', title: 'p50 ms', scale: { zero: true } },
      color: { field: 'variant', type: 'nominal' },
    },
  } as Spec;
}

/** Variants no other variant beats on every axis (smaller, faster and — when measured — more accurate). */
export function paretoFront(points: Array<{ name: string; size: number; latency: number; accuracy?: number }>): Set<string> {
  const front = new Set<string>();
  for (const p of points) {
    const dominated = points.some(
      (q) =>
        q !== p &&
        q.size <= p.size &&
        q.latency <= p.latency &&
        (p.accuracy === undefined || q.accuracy === undefined || q.accuracy >= p.accuracy) &&
        (q.size < p.size || q.latency < p.latency || (p.accuracy !== undefined && q.accuracy !== undefined && q.accuracy > p.accuracy)),
    );
    if (!dominated) front.add(p.name);
  }
  return front;
}

function paretoChart(variants: VariantResult[]): Spec | undefined {
  const points = variants
    .filter((v) => v.benchmarks.controlled)
    .map((v) => ({ name: v.name, size: v.sizeBytes / 1e6, latency: v.benchmarks.controlled!.p50Ms, accuracy: v.accuracy ? v.accuracy.map50_95 * 100 : undefined }));
  if (points.length < 2) return undefined;
  const front = paretoFront(points);
  const rows = points.map((p) => ({ ...p, pareto: front.has(p.name) ? 'Pareto front' : 'dominated' }));
  const hasAccuracy = rows.some((r) => r.accuracy !== undefined);
  return {
    ...base,
    title: hasAccuracy ? 'Size vs latency (1 thread), colour = mAP50-95; ringed = Pareto front' : 'Size vs latency (1 thread); ringed = Pareto front (accuracy not measured)',
    width: 420,
    height: 300,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 120 },
        encoding: {
          x: { field: 'size', type: 'quantitative', title: 'size (MB)', scale: { zero: true } },
          y: { field: 'latency', type: 'quantitative', title: 'p50 latency, 1 thread (ms)', scale: { zero: true } },
          color: hasAccuracy ? { field: 'accuracy', type: 'quantitative', title: 'mAP50-95', scale: { scheme: 'viridis' } } : { value: '#4c78a8' },
        },
      },
      {
        transform: [{ filter: "datum.pareto === 'Pareto front'" }],
        mark: { type: 'point', size: 360, strokeWidth: 2, color: 'crimson' },
        encoding: { x: { field: 'size', type: 'quantitative' }, y: { field: 'latency', type: 'quantitative' } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 10, dy: -6, fontSize: 10 },
        encoding: { x: { field: 'size', type: 'quantitative' }, y: { field: 'latency', type: 'quantitative' }, text: { field: 'name', type: 'nominal' } },
      },
    ],
  } as Spec;
}

/**
 * The INT8 search's candidates: latency (x) against output SQNR vs FP32 (y). Hollow points are the latency model's
 * predictions; filled ones the verification benchmark's measurements, joined to their prediction; the dashed line
 * is FP32's measured latency, so what lies left of it is faster. The chosen candidate is labelled.
 */
function searchChart(search: SearchRecord | undefined): Spec | undefined {
  if (!search) return undefined;
  const points = searchCandidates(search).filter((p) => p.predictedMs !== undefined && p.sqnrDb !== undefined);
  if (points.length === 0) return undefined;
  const rows = points.flatMap((p) => [
    { label: p.label, phase: p.phase, latency: p.predictedMs!, sqnr: p.sqnrDb!, kind: 'predicted', chosen: p.chosen },
    ...(p.measuredMs !== undefined ? [{ label: p.label, phase: p.phase, latency: p.measuredMs, sqnr: p.sqnrDb!, kind: 'measured', chosen: p.chosen, mapDrop: p.mapDrop }] : []),
  ]);
  const links = points.filter((p) => p.measuredMs !== undefined).map((p) => ({ from: p.predictedMs!, to: p.measuredMs!, sqnr: p.sqnrDb! }));
  const fp32 = Number.isFinite(search.fp32.p50Ms) ? search.fp32.p50Ms : undefined;
  const x = { field: 'latency', type: 'quantitative', title: 'latency, 1 thread (ms): hollow = predicted, filled = measured', scale: { zero: false } } as const;
  const y = { field: 'sqnr', type: 'quantitative', title: 'output SQNR vs FP32 (dB, higher is better)', scale: { zero: false } } as const;
  return {
    ...base,
    title: `INT8 search: ${points.length} candidates, latency vs fidelity${fp32 ? ' (dashed: FP32 measured)' : ''}`,
    width: 460,
    height: 300,
    layer: [
      { data: { values: links }, mark: { type: 'rule', color: 'gray', strokeDash: [2, 2] }, encoding: { x: { field: 'from', type: 'quantitative' }, x2: { field: 'to' }, y: { field: 'sqnr', type: 'quantitative' } } },
      ...(fp32 ? [{ data: { values: [{ fp32 }] }, mark: { type: 'rule', color: 'crimson', strokeDash: [6, 4] }, encoding: { x: { field: 'fp32', type: 'quantitative' } } }] : []),
      {
        data: { values: rows },
        mark: { type: 'point', size: 90 },
        encoding: {
          x,
          y,
          color: { field: 'phase', type: 'nominal', title: 'phase', scale: { scheme: 'tableau10' } },
          fill: { condition: { test: "datum.kind === 'measured'", field: 'phase', type: 'nominal' }, value: 'transparent' },
          shape: { condition: { test: 'datum.chosen', value: 'diamond' }, value: 'circle' },
        },
      },
      {
        // The paired mAP change of the candidates whose accuracy was measured.
        data: { values: rows.filter((r) => r.kind === 'measured' && r.mapDrop !== undefined).map((r) => ({ ...r, caption: `mAP ${r.mapDrop! > 0 ? '−' : '+'}${Math.abs(r.mapDrop!).toFixed(2)}` })) },
        mark: { type: 'text', align: 'left', dx: 8, dy: 10, fontSize: 10 },
        encoding: { x, y, text: { field: 'caption', type: 'nominal' } },
      },
      {
        data: { values: rows.filter((r) => r.chosen && r.kind === (rows.some((q) => q.chosen && q.kind === 'measured') ? 'measured' : 'predicted')).map((r) => ({ ...r, caption: `chosen: ${r.label}` })) },
        mark: { type: 'text', align: 'left', dx: 8, dy: -8, fontSize: 10 },
        encoding: { x, y, text: { field: 'caption', type: 'nominal' } },
      },
    ],
  } as Spec;
}

/** Median latency of every variant on every device that reported (fleet agents and browsers). */
function devicesChart(results: RunResults): Spec | undefined {
  const rows = (results.devices ?? []).flatMap((d) =>
    d.results
      .filter((r) => !r.scenario || r.scenario === 'controlled' || d.device.kind === 'browser')
      .map((r) => ({ device: `${d.device.name ?? d.device.userAgent?.slice(0, 30) ?? '?'}${r.scenario ? '' : ` (${r.backend}, ${r.threads} thr)`}`, variant: r.variant, p50: r.p50Ms })),
  );
  if (rows.length === 0) return undefined;
  return {
    ...base,
    title: 'Median latency per variant and device (ms, lower is better)',
    data: { values: rows },
    width: 420,
    mark: 'bar',
    encoding: {
      y: { field: 'variant', type: 'nominal', sort: null, title: null },
      yOffset: { field: 'device', type: 'nominal' },
      x: { field: 'p50', type: 'quantitative', title: 'ms' },
      color: { field: 'device', type: 'nominal', title: 'device' },
    },
  } as Spec;
}

/** All charts the report references; charts without data (e.g. no sweep) are left out. */
export async function renderCharts(results: RunResults): Promise<Chart[]> {
  const specs: Array<[string, string, Spec | undefined]> = [
    ['size.svg', 'Model size', sizeChart(results.variants)],
    ['latency.svg', 'Latency', latencyChart(results.variants)],
    ['ops.svg', 'Per-operator time', opsChart(results.variants)],
    ['threads.svg', 'Thread scaling', threadsChart(results.variants)],
    ['pareto.svg', 'Size, latency and accuracy', paretoChart(results.variants)],
    ['devices.svg', 'Latency per device', devicesChart(results)],
    ['search.svg', 'INT8 search', searchChart(results.search)],
  ];
  const charts: Chart[] = [];
  for (const [file, title, spec] of specs) if (spec) charts.push({ file, title, svg: await render(spec) });
  return charts;
}
