import { modelQueue } from '@mlapi/contracts';
import type { ModelRegistry } from '../registry.js';
import type { QueueDepthSource } from './queue-depth.js';
import { SeriesWindow, type StatsPoint, type StatsSummary } from './series-window.js';

export interface ModelStatsOptions {
  registry: ModelRegistry;
  /** null: queue depth is reported as unknown. */
  queueDepth?: QueueDepthSource | null;
  /** Names this gateway replica in what it sends (its numbers are its own traffic). */
  instance: string;
  /** One point per interval. Default 2000. */
  intervalMs?: number;
  /** History kept per series. Default 300000 (five minutes). */
  historyMs?: number;
  /** Window of the summary figures. Default 60000. */
  summaryMs?: number;
  /** At most this many series; a new one beyond it is not recorded. Default 256. */
  maxSeries?: number;
  now?: () => number;
}

export interface SeriesStats {
  model_name: string;
  model_version: string;
  workers: number;
  queue_depth: number | null;
  summary: StatsSummary;
  points: StatsPoint[];
}

/** What GET /stats/models answers and the SSE stream sends: `snapshot` first, then `tick`s. */
export interface StatsSnapshot {
  instance: string;
  interval_ms: number;
  history_ms: number;
  /** End of the newest interval, epoch ms. */
  now: number;
  series: SeriesStats[];
}

export type StatsListener = (tick: StatsSnapshot) => void;

/** Probe the broker for queue depths only while someone looked within this long. */
const WATCHED_MS = 30_000;

/**
 * A short in-memory history of each (model, version) as this gateway sees it: answered
 * requests, errors, cache hits and latency quantiles per interval, with the live workers
 * (presence) and the queue depth (a passive queue declare on the broker, only while someone
 * watches) sampled at each interval's end.
 */
export class ModelStats {
  readonly #registry: ModelRegistry;
  readonly #queueDepth: QueueDepthSource | null;
  readonly #instance: string;
  readonly #intervalMs: number;
  readonly #historyMs: number;
  readonly #historyBuckets: number;
  readonly #summaryBuckets: number;
  readonly #maxSeries: number;
  readonly #now: () => number;
  readonly #series = new Map<string, SeriesWindow>();
  readonly #listeners = new Set<StatsListener>();
  readonly #depths = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;
  #openedAt: number;
  #watchedAt = 0;
  #probing = false;

  constructor(options: ModelStatsOptions) {
    this.#registry = options.registry;
    this.#queueDepth = options.queueDepth ?? null;
    this.#instance = options.instance;
    this.#intervalMs = options.intervalMs ?? 2000;
    this.#historyMs = options.historyMs ?? 300_000;
    this.#historyBuckets = Math.max(1, Math.round(this.#historyMs / this.#intervalMs));
    this.#summaryBuckets = Math.max(
      1,
      Math.round((options.summaryMs ?? 60_000) / this.#intervalMs),
    );
    this.#maxSeries = options.maxSeries ?? 256;
    this.#now = options.now ?? Date.now;
    this.#openedAt = this.#now();
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** An answered request; the version is the one that answered (the result's model_version). */
  success(model: string, version: string, ms: number, cached: boolean): void {
    this.#window(model, version)?.success(ms, cached);
  }

  /** A failed request for a known model, with its HTTP status. */
  failure(model: string, version: string, status: number): void {
    this.#window(model, version)?.failure(status);
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#openedAt = this.#now();
    this.#timer = setInterval(() => this.tick(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#listeners.clear();
  }

  /** Closes the open interval of every series and tells the listeners. */
  tick(): void {
    const t = this.#openedAt;
    this.#openedAt = this.#now();
    const live = new Map<string, number>();
    for (const model of this.#registry.models()) {
      for (const version of this.#registry.versions(model)) {
        live.set(key(model, version), this.#registry.liveWorkers(model, version));
        this.#window(model, version);
      }
    }
    const oldest = t - this.#historyMs;
    const tick: SeriesStats[] = [];
    for (const [k, w] of this.#series) {
      const workers = live.get(k);
      const depth = this.#depths.get(modelQueue(w.model, w.version));
      const point = w.close(t, workers ?? 0, this.#watched() ? (depth ?? null) : null);
      if (workers === undefined && w.lastActive < oldest) {
        this.#series.delete(k); // gone from presence and quiet for the whole history
        continue;
      }
      tick.push(this.#stats(w, [point]));
    }
    if (this.#watched()) this.#probeDepths();
    if (this.#listeners.size === 0) return;
    const snapshot = this.#snapshot(tick);
    for (const listener of this.#listeners) listener(snapshot);
  }

  /** Every series with its whole history. */
  snapshot(): StatsSnapshot {
    this.#watchedAt = this.#now();
    const series: SeriesStats[] = [];
    for (const w of this.#series.values()) series.push(this.#stats(w, w.points));
    return this.#snapshot(series);
  }

  /** Calls `listener` with each tick (only the newest point of each series) until unsubscribed. */
  subscribe(listener: StatsListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  get subscribers(): number {
    return this.#listeners.size;
  }

  #snapshot(series: SeriesStats[]): StatsSnapshot {
    series.sort((a, b) =>
      a.model_name === b.model_name
        ? a.model_version.localeCompare(b.model_version)
        : a.model_name.localeCompare(b.model_name),
    );
    return {
      instance: this.#instance,
      interval_ms: this.#intervalMs,
      history_ms: this.#historyMs,
      now: this.#openedAt,
      series,
    };
  }

  #stats(w: SeriesWindow, points: StatsPoint[]): SeriesStats {
    const last = w.points.at(-1);
    return {
      model_name: w.model,
      model_version: w.version,
      workers: last?.workers ?? 0,
      queue_depth: last?.queue_depth ?? null,
      summary: w.summary(this.#intervalMs),
      points,
    };
  }

  #watched(): boolean {
    return this.#listeners.size > 0 || this.#now() - this.#watchedAt < WATCHED_MS;
  }

  #window(model: string, version: string): SeriesWindow | undefined {
    const k = key(model, version);
    let w = this.#series.get(k);
    if (w === undefined) {
      if (this.#series.size >= this.#maxSeries) return undefined;
      w = new SeriesWindow(model, version, this.#historyBuckets, this.#summaryBuckets);
      this.#series.set(k, w);
    }
    return w;
  }

  /** One probe at a time; its answers are used at the next interval's end. */
  #probeDepths(): void {
    if (this.#queueDepth === null || this.#probing) return;
    const queues = [
      ...new Set([...this.#series.values()].map((w) => modelQueue(w.model, w.version))),
    ];
    if (queues.length === 0) return;
    this.#probing = true;
    this.#queueDepth
      .depths(queues)
      .then((depths) => {
        this.#depths.clear();
        for (const [queue, depth] of depths) this.#depths.set(queue, depth);
      })
      .catch(() => this.#depths.clear())
      .finally(() => {
        this.#probing = false;
      });
  }
}

function key(model: string, version: string): string {
  return `${model}\u0000${version}`;
}
