import { LatencyHistogram } from './latency-histogram.js';

/** One closed interval of one (model, version), as the stats routes send it. */
export interface StatsPoint {
  /** Start of the interval, epoch ms. */
  t: number;
  /** Answered requests (cached or not). */
  requests: number;
  /** Failed requests the gateway or the model is to blame for (5xx). */
  errors: number;
  /** Failed requests the caller is to blame for (4xx). */
  rejected: number;
  cache_hits: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  /** Live workers at the end of the interval. */
  workers: number;
  /** Ready messages in the model's queue (null: not known). */
  queue_depth: number | null;
}

/** Totals over the summary window (the last minute by default). */
export interface StatsSummary {
  window_ms: number;
  requests: number;
  request_rate: number;
  /** errors / (requests + errors + rejected); null with no traffic. */
  error_rate: number | null;
  /** cache hits / requests; null with no answered request. */
  cache_hit_ratio: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

class Bucket {
  requests = 0;
  errors = 0;
  rejected = 0;
  cacheHits = 0;
  readonly latency = new LatencyHistogram();

  reset(): void {
    this.requests = 0;
    this.errors = 0;
    this.rejected = 0;
    this.cacheHits = 0;
    this.latency.reset();
  }
}

/**
 * The in-memory history of one (model, version): the open interval being counted, the last
 * `summaryBuckets` closed intervals in full (to merge their histograms for the summary), and the
 * last `historyBuckets` as points. Memory is fixed per series.
 */
export class SeriesWindow {
  readonly model: string;
  readonly version: string;
  readonly points: StatsPoint[] = [];
  #open = new Bucket();
  /** Closed buckets, newest last; reused as they age out. */
  readonly #recent: Bucket[] = [];
  readonly #historyBuckets: number;
  readonly #summaryBuckets: number;
  /** Time of the last interval with any traffic, epoch ms. */
  lastActive = 0;

  constructor(model: string, version: string, historyBuckets: number, summaryBuckets: number) {
    this.model = model;
    this.version = version;
    this.#historyBuckets = historyBuckets;
    this.#summaryBuckets = summaryBuckets;
  }

  success(ms: number, cached: boolean): void {
    this.#open.requests++;
    if (cached) this.#open.cacheHits++;
    this.#open.latency.add(ms);
  }

  failure(status: number): void {
    if (status >= 500) this.#open.errors++;
    else this.#open.rejected++;
  }

  /** Ends the open interval (which began at `t`) and starts the next. */
  close(t: number, workers: number, queueDepth: number | null): StatsPoint {
    const open = this.#open;
    const point: StatsPoint = {
      t,
      requests: open.requests,
      errors: open.errors,
      rejected: open.rejected,
      cache_hits: open.cacheHits,
      p50_ms: round(open.latency.quantile(0.5)),
      p95_ms: round(open.latency.quantile(0.95)),
      p99_ms: round(open.latency.quantile(0.99)),
      workers,
      queue_depth: queueDepth,
    };
    if (open.requests + open.errors + open.rejected > 0) this.lastActive = t;
    this.points.push(point);
    if (this.points.length > this.#historyBuckets) this.points.shift();
    this.#recent.push(open);
    const reused = this.#recent.length > this.#summaryBuckets ? this.#recent.shift() : undefined;
    if (reused !== undefined) reused.reset();
    this.#open = reused ?? new Bucket();
    return point;
  }

  summary(intervalMs: number): StatsSummary {
    const merged = new LatencyHistogram();
    let requests = 0;
    let errors = 0;
    let rejected = 0;
    let hits = 0;
    for (const b of this.#recent) {
      requests += b.requests;
      errors += b.errors;
      rejected += b.rejected;
      hits += b.cacheHits;
      merged.addAll(b.latency);
    }
    // Over the intervals actually seen: a series a few seconds old is not diluted by a minute.
    const windowMs = Math.max(1, this.#recent.length) * intervalMs;
    const attempts = requests + errors + rejected;
    return {
      window_ms: windowMs,
      requests,
      request_rate: round((requests * 1000) / windowMs) ?? 0,
      error_rate: attempts > 0 ? round(errors / attempts) : null,
      cache_hit_ratio: requests > 0 ? round(hits / requests) : null,
      p50_ms: round(merged.quantile(0.5)),
      p95_ms: round(merged.quantile(0.95)),
      p99_ms: round(merged.quantile(0.99)),
    };
  }
}

/** Four significant digits are plenty for a chart and keep the JSON small. */
function round(value: number | null): number | null {
  return value === null ? null : Number(value.toPrecision(4));
}
