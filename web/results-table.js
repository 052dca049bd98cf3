// The comparison table: every device that reported, every configuration, every variant, with each
// variant's median latency as a ratio of the FP32 variant on the same device and configuration.

/** The variant everything is compared with: the one named FP32, else the first. */
export function baselineVariant(variants) {
  return variants.find((v) => /fp32/i.test(v)) ?? variants[0];
}

/** Browser tokens in the order they must be tried: Edge and Opera also say "Chrome", Chrome also says "Safari". */
const BROWSER_TOKENS = [
  ['Edg', 'Edge'],
  ['OPR', 'Opera'],
  ['Firefox', 'Firefox'],
  ['FxiOS', 'Firefox'],
  ['CriOS', 'Chrome'],
  ['Chrome', 'Chrome'],
  ['Version', 'Safari'],
];

function browserName(userAgent) {
  for (const [token, name] of BROWSER_TOKENS) {
    const match = new RegExp(`${token}/(\\d+)`).exec(userAgent);
    if (match) return `${name} ${match[1]}`;
  }
  return 'browser';
}

/** "Chrome 150 · Linux · 2 cores" from the posted device record. */
export function deviceLabel(device) {
  return [browserName(device.userAgent), device.platform, `${device.hardwareConcurrency} cores`].filter(Boolean).join(' · ');
}

function cell(tag, text, attrs = {}) {
  const el = document.createElement(tag);
  el.textContent = text;
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

/** Rows: one per device × backend × threads; columns: p50 and ratio per variant. */
export function comparisonRows(devices, variants) {
  const baseline = baselineVariant(variants);
  const rows = [];
  devices.forEach((report, deviceIndex) => {
    const configs = new Map();
    for (const r of [...report.results, ...(report.failures ?? [])]) {
      const key = `${r.backend}/${r.threads}`;
      if (!configs.has(key)) configs.set(key, { backend: r.backend, threads: r.threads, byVariant: new Map() });
      configs.get(key).byVariant.set(r.variant, r);
    }
    for (const config of configs.values()) {
      const base = config.byVariant.get(baseline);
      rows.push({
        deviceIndex,
        device: deviceLabel(report.device),
        userAgent: report.device.userAgent,
        receivedAt: report.receivedAt,
        backend: config.backend,
        threads: config.threads,
        cells: variants.map((v) => {
          const r = config.byVariant.get(v);
          if (!r) return { text: '—' };
          if (r.error) return { text: 'failed', title: r.error };
          const ratio = base && !base.error && base.p50Ms > 0 ? r.p50Ms / base.p50Ms : undefined;
          return { p50Ms: r.p50Ms, ratio, text: `${r.p50Ms.toFixed(1)} ms${ratio === undefined ? '' : ` (×${ratio.toFixed(2)})`}` };
        }),
      });
    }
  });
  return rows;
}

export function renderComparison(table, devices, variants) {
  const baseline = baselineVariant(variants);
  table.replaceChildren();
  const head = document.createElement('tr');
  for (const h of ['device', 'backend', 'threads', ...variants.map((v) => (v === baseline ? `${v} (baseline)` : v))]) head.append(cell('th', h));
  table.append(cell('caption', `median latency per inference, and ratio to ${baseline} on the same device and configuration (below 1 = faster)`));
  const thead = document.createElement('thead');
  thead.append(head);
  const tbody = document.createElement('tbody');
  for (const row of comparisonRows(devices, variants)) {
    const tr = document.createElement('tr');
    tr.dataset.device = String(row.deviceIndex);
    tr.append(cell('td', row.device, { title: `${row.userAgent}\nreported ${row.receivedAt}` }), cell('td', row.backend), cell('td', String(row.threads)));
    for (const c of row.cells) {
      const td = cell('td', c.text, c.title ? { title: c.title } : {});
      if (c.ratio !== undefined) td.className = c.ratio < 0.95 ? 'faster' : c.ratio > 1.05 ? 'slower' : '';
      tr.append(td);
    }
    tbody.append(tr);
  }
  if (tbody.children.length === 0) {
    const tr = document.createElement('tr');
    tr.append(cell('td', 'no device has reported yet', { colspan: String(3 + variants.length) }));
    tbody.append(tr);
  }
  table.append(thead, tbody);
}
