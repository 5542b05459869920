/** The shapes of GET /stats/models and its event stream (packages/api/src/console). */
export interface StatsPoint {
  t: number;
  requests: number;
  errors: number;
  rejected: number;
  cache_hits: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  workers: number;
  queue_depth: number | null;
}

export interface StatsSummary {
  window_ms: number;
  requests: number;
  request_rate: number;
  error_rate: number | null;
  cache_hit_ratio: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

export interface SeriesStats {
  model_name: string;
  model_version: string;
  workers: number;
  queue_depth: number | null;
  summary: StatsSummary;
  points: StatsPoint[];
}

export interface StatsSnapshot {
  instance: string;
  interval_ms: number;
  history_ms: number;
  now: number;
  series: SeriesStats[];
}

export function seriesKey(s: { model_name: string; model_version: string }): string {
  return `${s.model_name}@${s.model_version}`;
}

/**
 * A tick carries the newest point of each series; appended to what we hold, trimmed to the
 * history the gateway keeps. A series absent from the tick has gone.
 */
export function applyTick(held: StatsSnapshot, tick: StatsSnapshot): StatsSnapshot {
  const keep = Math.max(1, Math.round(tick.history_ms / tick.interval_ms));
  const before = new Map(held.series.map((s) => [seriesKey(s), s]));
  const series = tick.series.map((s) => {
    const old = before.get(seriesKey(s));
    const points = old === undefined ? s.points : [...old.points, ...s.points].slice(-keep);
    return { ...s, points };
  });
  return { ...tick, series };
}
