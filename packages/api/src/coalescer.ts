import { isPredictResult, type PredictResult } from '@mlapi/contracts';
import { type Context, type Link, type Span, type Tracer, trace } from '@opentelemetry/api';
import { ApiError } from './errors.js';
import { callOptions, type RpcCaller } from './predictor.js';
import { startCoalescingWait, type TraceHeaders, tracedCall } from './tracing/gateway-tracer.js';

type Rows = readonly (readonly number[])[];

/** Pino-compatible; only debug and warn are used. */
export interface CoalescerLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Where the coalescer reports each broker message (the gateway's metrics). */
export interface CoalescerMetrics {
  /** A message was sent carrying `members` requests. */
  sent(members: number): void;
}

export interface CoalescerOptions {
  rpc: RpcCaller;
  /**
   * Rows one broker message may carry; a batch that would grow past it is sent and a new one
   * opened. Keep it at or below the workers' MAX_ROWS_PER_REQUEST. Default 1024.
   */
  maxRows?: number;
  /**
   * How long the first request of a batch waits for company, in ms. 0 (the default) gathers
   * only what arrives in the same event-loop turn (setImmediate), adding no latency.
   */
  windowMs?: number;
  metrics?: CoalescerMetrics | null;
  /** null (the default) is silent. */
  logger?: CoalescerLogger | null;
  /** Records each sampled member's wait and each message's publish and reply; null: off. */
  tracer?: Tracer | null;
}

export const DEFAULT_COALESCER_OPTIONS = Object.freeze({
  maxRows: 1024,
  windowMs: 0,
  metrics: null,
  logger: null,
  tracer: null,
});

interface Settings {
  rpc: RpcCaller;
  maxRows: number;
  windowMs: number;
  metrics: CoalescerMetrics | null;
  logger: CoalescerLogger | null;
  tracer: Tracer | null;
}

/** A bad option: the message names it, and so does `option`. */
function badOption(option: string, message: string): TypeError & { option: string } {
  return Object.assign(new TypeError(`${option} ${message}`), { option });
}

/** Merges the options over the defaults. @throws TypeError naming the bad option */
export function normalizeCoalescerOptions(options: CoalescerOptions): Settings {
  const o = { ...DEFAULT_COALESCER_OPTIONS, ...options };
  if (typeof o.rpc?.call !== 'function') throw badOption('rpc', 'must have a call() method');
  if (!Number.isInteger(o.maxRows) || o.maxRows < 1) {
    throw badOption('maxRows', `must be a positive integer, got ${String(o.maxRows)}`);
  }
  if (!Number.isInteger(o.windowMs) || o.windowMs < 0 || o.windowMs > 60_000) {
    throw badOption('windowMs', `must be an integer in [0, 60000], got ${String(o.windowMs)}`);
  }
  return o;
}

/** One caller's share of a batch. */
class Member {
  settled = false;
  resolve!: (result: PredictResult) => void;
  reject!: (err: unknown) => void;
  /** The traced caller's context and its `coalescing wait` span; null when not sampled. */
  parent: Context | null = null;
  wait: Span | null = null;
  constructor(
    readonly rows: Rows,
    readonly requestId: string,
    readonly deadline: number,
  ) {}
}

/** The requests for one model gathered in one turn (or window): one broker message. */
class Batch {
  readonly members: Member[] = [];
  rows = 0;
  deadline = 0;
  /** The flush scheduled when the batch opened; null once sent. */
  flush: NodeJS.Immediate | NodeJS.Timeout | null = null;
  /** Times out members whose deadline comes before the message's. */
  watchdog: NodeJS.Timeout | null = null;
  constructor(readonly queue: string) {}
}

/**
 * Coalesces concurrent predictions for one model into one broker message. The broker and the
 * worker pay per message, not per row, so at concurrency N this divides their per-request cost
 * by the batch size; the wire envelope already carries many rows and the worker answers each.
 *
 * Each caller keeps its own deadline: the message carries the latest, and a watchdog times out
 * the members whose deadline is earlier, on their own. A failure of the whole message reaches
 * every member; a BAD_INPUT (which the gateway's own validation should make impossible) makes
 * the members retry one message each, so one bad request cannot fail its neighbours.
 */
export class Coalescer {
  readonly #s: Settings;
  /** The open (not yet sent) batch of each queue. */
  readonly #open = new Map<string, Batch>();
  // One bound function for every scheduled flush, rather than a closure per batch.
  readonly #flush = (batch: Batch): void => {
    batch.flush = null;
    this.#send(batch);
  };

  constructor(options: CoalescerOptions) {
    this.#s = normalizeCoalescerOptions(options);
  }

  /**
   * Resolves with this request's own rows' predictions; rejects as rpc.call would, or TIMEOUT.
   * `parent`: the caller's trace context when it is sampled, else null (no spans).
   */
  predict(
    queue: string,
    rows: Rows,
    requestId: string,
    deadline: number,
    parent: Context | null = null,
  ): Promise<PredictResult> {
    const member = new Member(rows, requestId, deadline);
    const tracer = this.#s.tracer;
    if (tracer !== null && parent !== null) {
      member.parent = parent;
      member.wait = startCoalescingWait(tracer, parent, 'batch');
    }
    const promise = new Promise<PredictResult>((resolve, reject) => {
      member.resolve = resolve;
      member.reject = reject;
    });
    const max = this.#s.maxRows;
    let batch = this.#open.get(queue);
    if (batch !== undefined && batch.rows + rows.length > max) {
      this.#send(batch);
      batch = undefined;
    }
    if (batch === undefined) {
      batch = new Batch(queue);
      if (rows.length < max) {
        this.#open.set(queue, batch);
        batch.flush =
          this.#s.windowMs === 0
            ? setImmediate(this.#flush, batch)
            : setTimeout(this.#flush, this.#s.windowMs, batch);
      }
    }
    batch.members.push(member);
    batch.rows += rows.length;
    if (deadline > batch.deadline) batch.deadline = deadline;
    // A full batch (or one request as large as a message) goes at once.
    if (batch.rows >= max) this.#send(batch);
    return promise;
  }

  #send(batch: Batch): void {
    if (batch.flush !== null) {
      if (this.#s.windowMs === 0) clearImmediate(batch.flush as NodeJS.Immediate);
      else clearTimeout(batch.flush as NodeJS.Timeout);
      batch.flush = null;
    }
    if (this.#open.get(batch.queue) === batch) this.#open.delete(batch.queue);

    const now = Date.now();
    const members = batch.members;
    // A member whose deadline passed while gathering (a window, a busy loop) is not sent.
    let live = 0;
    let earliest = Number.POSITIVE_INFINITY;
    for (const m of members) {
      if (m.deadline <= now) timeOut(m);
      else {
        live++;
        if (m.deadline < earliest) earliest = m.deadline;
      }
    }
    if (live === 0) return;
    if (live < members.length) {
      const kept = members.filter((m) => !m.settled);
      members.length = 0;
      members.push(...kept);
      batch.rows = 0;
      for (const m of kept) batch.rows += m.rows.length;
    }

    const first = members[0] as Member;
    let inputs: Rows;
    if (members.length === 1) inputs = first.rows;
    else {
      const all: (readonly number[])[] = new Array(batch.rows);
      let k = 0;
      for (const m of members) for (const row of m.rows) all[k++] = row;
      inputs = all;
      this.#s.logger?.debug(
        { request_id: first.requestId, members: members.map((m) => m.requestId), rows: k },
        'coalesced requests into one message',
      );
    }

    if (earliest < batch.deadline) {
      batch.watchdog = setTimeout(watch, earliest - now, batch);
    }
    this.#s.metrics?.sent(members.length);
    const call = (headers?: TraceHeaders): Promise<unknown> => {
      try {
        return this.#s.rpc.call<unknown>(
          batch.queue,
          { inputs },
          callOptions(batch.deadline, first.requestId, headers),
        );
      } catch (err) {
        // Sends also run from a scheduled flush, where a throw would be uncaught.
        return Promise.reject(err);
      }
    };
    const parent = this.#s.tracer !== null ? endWaits(members) : null;
    const reply =
      parent === null
        ? call()
        : tracedCall(this.#s.tracer as Tracer, parent, links(members, parent), batch.queue, call);
    reply.then(
      (result) => this.#answer(batch, result),
      (err: unknown) => this.#fail(batch, err),
    );
  }

  #answer(batch: Batch, result: unknown): void {
    this.#done(batch);
    const members = batch.members;
    if (members.length === 1) {
      settle(members[0] as Member, result as PredictResult);
      return;
    }
    if (!isPredictResult(result, batch.rows)) {
      const err = new ApiError('INTERNAL', 'the model worker sent a malformed result');
      for (const m of members) reject(m, err);
      return;
    }
    let at = 0;
    for (const m of members) {
      const end = at + m.rows.length;
      if (!m.settled) {
        settle(m, {
          model_name: result.model_name,
          model_version: result.model_version,
          predictions: result.predictions.slice(at, end),
          probabilities: result.probabilities.slice(at, end),
          labels: result.labels.slice(at, end),
          ...(result.model_sha256 !== undefined ? { model_sha256: result.model_sha256 } : {}),
        });
      }
      at = end;
    }
  }

  #fail(batch: Batch, err: unknown): void {
    this.#done(batch);
    const members = batch.members;
    if (members.length > 1 && isRemoteBadInput(err)) {
      this.#s.logger?.warn(
        { request_id: (members[0] as Member).requestId, members: members.length },
        'a coalesced message was refused as BAD_INPUT; sending its requests one by one',
      );
      for (const m of members) {
        if (m.settled) continue;
        const alone = new Batch(batch.queue);
        alone.members.push(m);
        alone.rows = m.rows.length;
        alone.deadline = m.deadline;
        this.#send(alone);
      }
      return;
    }
    for (const m of members) reject(m, err);
  }

  #done(batch: Batch): void {
    if (batch.watchdog !== null) {
      clearTimeout(batch.watchdog);
      batch.watchdog = null;
    }
  }
}

/**
 * Ends the members' `coalescing wait` spans as their message leaves; the message's spans hang
 * under the first traced member's request, or null when no member is traced.
 */
function endWaits(members: readonly Member[]): Context | null {
  let parent: Context | null = null;
  for (const m of members) {
    if (m.wait !== null) {
      m.wait.setAttribute('mlapi.coalesce.members', members.length);
      m.wait.end();
      m.wait = null;
    }
    parent ??= m.parent;
  }
  return parent;
}

/** Links from a message's spans to every other traced member's request span. */
function links(members: readonly Member[], parent: Context): Link[] {
  const out: Link[] = [];
  for (const m of members) {
    if (m.parent === null || m.parent === parent) continue;
    const context = trace.getSpanContext(m.parent);
    if (context !== undefined) out.push({ context });
  }
  return out;
}

/** Times out the members whose own deadline has passed, then waits for the next one. */
function watch(batch: Batch): void {
  batch.watchdog = null;
  const now = Date.now();
  let next = Number.POSITIVE_INFINITY;
  for (const m of batch.members) {
    if (m.settled) continue;
    if (m.deadline <= now) timeOut(m);
    else if (m.deadline < next) next = m.deadline;
  }
  // The member with the message's own deadline is left to the RPC's timeout.
  if (next < batch.deadline) batch.watchdog = setTimeout(watch, next - now, batch);
}

function settle(m: Member, result: PredictResult): void {
  if (m.settled) return;
  m.settled = true;
  m.resolve(result);
}

function reject(m: Member, err: unknown): void {
  if (m.settled) return;
  m.settled = true;
  // A member timed out before its message left still ends its wait.
  m.wait?.end();
  m.wait = null;
  m.reject(err);
}

function timeOut(m: Member): void {
  reject(m, new ApiError('TIMEOUT', 'the deadline passed before the model answered'));
}

function isRemoteBadInput(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; remoteCode?: unknown };
  return e.code === 'RPC_REMOTE' && e.remoteCode === 'BAD_INPUT';
}
