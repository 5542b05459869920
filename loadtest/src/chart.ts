import type { ResultRow } from './results.js';

const WIDTH = 960;
const HEIGHT = 600;
const MARGIN = { top: 50, right: 250, bottom: 60, left: 70 };
const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];
const PERCENTILES = [
  { key: 'p50_ms', label: 'p50', marker: 'circle' },
  { key: 'p95_ms', label: 'p95', marker: 'square' },
  { key: 'p99_ms', label: 'p99', marker: 'triangle' },
] as const;

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Powers of ten (and 2×, 5×) spanning [lo, hi], for log-axis ticks. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t >= lo && t <= hi) ticks.push(t);
    }
  }
  return ticks;
}

function marker(kind: 'circle' | 'square' | 'triangle', x: number, y: number, color: string) {
  const c = `fill="${color}" stroke="#fff" stroke-width="0.8"`;
  if (kind === 'circle') return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" ${c}/>`;
  if (kind === 'square') {
    return `<rect x="${(x - 4).toFixed(1)}" y="${(y - 4).toFixed(1)}" width="8" height="8" ${c}/>`;
  }
  const p = [
    [x, y - 5],
    [x - 5, y + 4],
    [x + 5, y + 4],
  ];
  return `<polygon points="${p.map(([a, b]) => `${a?.toFixed(1)},${b?.toFixed(1)}`).join(' ')}" ${c}/>`;
}

/**
 * Latency percentiles against throughput, both on log axes: one colour per scenario, one marker
 * per percentile, a vertical bar joining a cell's p50 to its p99, and a line through each
 * scenario's cells in throughput order (its latency/throughput curve).
 */
export function renderChart(rows: readonly ResultRow[], title: string): string {
  const usable = rows.filter((r) => r.rps > 0 && r.p50_ms > 0);
  const xs = usable.map((r) => r.rps);
  const ys = usable.flatMap((r) => [r.p50_ms, r.p99_ms]);
  const xLo = 10 ** Math.floor(Math.log10(Math.min(...xs, 10)));
  const xHi = 10 ** Math.ceil(Math.log10(Math.max(...xs, 100)));
  const yLo = 10 ** Math.floor(Math.log10(Math.min(...ys, 1)));
  const yHi = 10 ** Math.ceil(Math.log10(Math.max(...ys, 10)));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (v: number) =>
    MARGIN.left + ((Math.log10(v) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * plotW;
  const sy = (v: number) =>
    MARGIN.top +
    plotH -
    ((Math.log10(v) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * plotH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2 - MARGIN.right / 2}" y="28" text-anchor="middle" font-size="16">${escapeXml(title)}</text>`,
  ];
  for (const t of logTicks(xLo, xHi)) {
    const x = sx(t).toFixed(1);
    out.push(
      `<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + plotH}" stroke="#e5e5e5"/>`,
      `<text x="${x}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${t.toLocaleString('en-US')}</text>`,
    );
  }
  for (const t of logTicks(yLo, yHi)) {
    const y = sy(t).toFixed(1);
    out.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${t}</text>`,
    );
  }
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 15}" text-anchor="middle">throughput (successful requests/s, log scale)</text>`,
    `<text transform="translate(20 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">latency (ms, log scale)</text>`,
  );

  const scenarios = [...new Set(usable.map((r) => r.scenario))];
  scenarios.forEach((scenario, i) => {
    const color = PALETTE[i % PALETTE.length] as string;
    const cells = usable.filter((r) => r.scenario === scenario).sort((a, b) => a.rps - b.rps);
    if (cells.length > 1) {
      const points = cells.map((r) => `${sx(r.rps).toFixed(1)},${sy(r.p99_ms).toFixed(1)}`);
      out.push(
        `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-dasharray="4 3"/>`,
      );
    }
    for (const r of cells) {
      const x = sx(r.rps);
      out.push(
        `<line x1="${x.toFixed(1)}" y1="${sy(r.p50_ms).toFixed(1)}" x2="${x.toFixed(1)}" y2="${sy(r.p99_ms).toFixed(1)}" stroke="${color}"/>`,
      );
      for (const p of PERCENTILES) out.push(marker(p.marker, x, sy(r[p.key]), color));
      out.push(
        `<text x="${(x + 7).toFixed(1)}" y="${(sy(r.p99_ms) - 6).toFixed(1)}" fill="${color}" font-size="10">${escapeXml(String(r.concurrency_or_rate))}</text>`,
      );
    }
    const ly = MARGIN.top + 10 + i * 20;
    const lx = WIDTH - MARGIN.right + 20;
    out.push(
      `<rect x="${lx}" y="${ly - 6}" width="12" height="12" fill="${color}"/>`,
      `<text x="${lx + 18}" y="${ly}" dominant-baseline="middle">${escapeXml(scenario)}</text>`,
    );
  });
  const ky = MARGIN.top + 30 + scenarios.length * 20;
  PERCENTILES.forEach((p, j) => {
    const lx = WIDTH - MARGIN.right + 26;
    const ly = ky + j * 20;
    out.push(
      marker(p.marker, lx, ly, '#555'),
      `<text x="${lx + 12}" y="${ly}" dominant-baseline="middle">${p.label}</text>`,
    );
  });
  out.push(
    `<text x="${WIDTH - MARGIN.right + 20}" y="${ky + 70}" font-size="10" fill="#555">labels: concurrency or rate</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
