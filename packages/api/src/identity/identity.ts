import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { RouteScope } from '../console/route-scope.js';
import { ApiError } from '../errors.js';
import { credentialOf } from './api-key.js';
import type { Authenticator } from './authenticator.js';
import { ANONYMOUS, type KeyMetrics, NO_KEY } from './key-metrics.js';
import { allowsModel, type Caller, type CallerLimits } from './key-record.js';
import { rateLimitHeaders, secondsUntil } from './rate-limit-headers.js';
import { requestRows } from './request-rows.js';
import type { LimitDecision, Refusal, UsageLimiter } from './usage-limiter.js';
import { type UsageWindows, usageWindowsClock } from './usage-windows.js';
import '../console/route-scope.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: never counted against the caller's limits (probes, docs, the console). */
    rateLimit?: boolean;
    /** Any valid key may call the route, whatever its scopes (GET /v1/usage). */
    anyKey?: boolean;
  }
  interface FastifyRequest {
    /** Who is calling; null on public routes. */
    caller: Caller | null;
    /** What this request consumed, so an unanswered one gives its rows back. */
    consumed: { rows: number; windows: UsageWindows } | null;
    /**
     * Checks and consumes more rows of this (already counted) request against the caller's
     * row quotas, throwing QUOTA_EXCEEDED when they would be passed: for a body whose rows are
     * only known as it streams in (a job's NDJSON upload). null: the caller has no limits.
     */
    chargeRows: ((rows: number) => Promise<void>) | null;
  }
}

export interface IdentityOptions {
  config: Config;
  /** null when AUTH=off. */
  authenticator: Authenticator | null;
  limiter: UsageLimiter;
  metrics: KeyMetrics;
  /** Counts a limiter call that failed (the request is served). */
  onLimiterError: (err: unknown) => void;
  logger: Logger;
  now?: () => number;
}

/** Routes with no declared scope are model routes: the safe default needs a key. */
const DEFAULT_SCOPE: RouteScope = 'predict';

/**
 * Identity, scopes and limits as hooks on every route (DESIGN.md, "Identity"):
 * onRequest finds the caller and checks the route's scope (401, 403); preHandler, once the body
 * is validated, checks the model and consumes the request and its rows (403, 429); onResponse
 * counts per key and gives back the rows of a request that was not answered.
 */
export function installIdentity(app: FastifyInstance, options: IdentityOptions): void {
  const { config, authenticator, limiter, metrics } = options;
  const now = options.now ?? Date.now;
  const defaultLimits: CallerLimits = {
    requestsPerMinute: config.rateLimitMax > 0 ? config.rateLimitMax : null,
    rowsPerDay: config.rowsPerDay > 0 ? config.rowsPerDay : null,
    rowsPerMonth: config.rowsPerMonth > 0 ? config.rowsPerMonth : null,
  };
  const windowsAt = usageWindowsClock(config.rateLimitWindowMs);
  app.decorateRequest('caller', null);
  app.decorateRequest('consumed', null);
  app.decorateRequest('chargeRows', null);

  // Callback hooks, not async ones: a keyed request's common path (its record cached, its
  // budget leased) then runs without a promise or a microtask in any of them.
  app.addHook('onRequest', (request, _reply, done) => {
    const routeConfig = request.routeOptions.config;
    // No route matched: the not-found handler answers, and no credential is needed to learn it.
    if (request.routeOptions.url === undefined) return done();
    const scope = routeConfig.scope ?? DEFAULT_SCOPE;
    if (scope === 'public') return done();
    if (authenticator === null) {
      request.caller = {
        keyId: null,
        subject: `ip:${request.ip}`,
        models: ['*'],
        scopes: ['predict', 'jobs', 'admin'],
        limits: defaultLimits,
      };
      return done();
    }
    let caller: Caller | Promise<Caller>;
    try {
      caller = authenticator.authenticate(credentialOf(request.headers, config.apiKeyHeader));
    } catch (err) {
      return done(refused(metrics, err));
    }
    if (!(caller instanceof Promise)) return done(admitted(request, caller, scope));
    caller.then(
      (found) => done(admitted(request, found, scope)),
      (err: unknown) => done(refused(metrics, err)),
    );
  });

  app.addHook('preHandler', (request, reply, done) => {
    // undefined, not null, on the routes of plugins registered before this one's decorator
    // (Swagger UI's): those are public, and no caller is ever needed there.
    const caller = request.caller as Caller | null | undefined;
    if (caller === null || caller === undefined) return done();
    const scope = request.routeOptions.config.scope ?? DEFAULT_SCOPE;
    // Admin routes name a model to manage it, not to call it.
    const model = scope === 'admin' ? undefined : modelOf(request);
    if (model !== undefined && !allowsModel(caller.models, model)) {
      return done(new ApiError('FORBIDDEN', `this key may not call model ${model}`));
    }
    if (request.routeOptions.config.rateLimit === false || scope === 'admin') return done();
    const { limits } = caller;
    if (
      limits.requestsPerMinute === null &&
      limits.rowsPerDay === null &&
      limits.rowsPerMonth === null
    ) {
      return done();
    }
    const at = now();
    const windows = windowsAt(at);
    const rows = requestRows(request.body);
    const spent = limiter.spendLeased?.(caller.subject, limits, rows, windows) ?? null;
    if (spent !== null) return done(decide(request, reply, caller, spent, windows, at, rows));
    limiter.consume(caller.subject, limits, rows, windows).then(
      (decision) => done(decide(request, reply, caller, decision, windows, at, rows)),
      (err: unknown) => {
        // Refusing every request because the counters are down would be worse than not
        // counting.
        options.onLimiterError(err);
        done(decide(request, reply, caller, NOT_COUNTED, windows, at, rows));
      },
    );
  });

  /**
   * Acts on the limiter's decision: the RateLimit headers, the refusal, what the request
   * consumed. A plain function, not a closure per request: this runs on every limited request.
   */
  function decide(
    request: FastifyRequest,
    reply: FastifyReply,
    caller: Caller,
    decision: LimitDecision,
    windows: UsageWindows,
    at: number,
    rows: number,
  ): ApiError | undefined {
    const { limits } = caller;
    const headers = rateLimitHeaders(limits, decision.usage, windows, at);
    if (headers !== null) {
      reply.header('ratelimit-policy', headers.policy);
      reply.header('ratelimit', headers.state);
    }
    if (decision.refusal !== null) return refusalError(decision.refusal, limits, windows, at);
    if (decision.usage !== null && rows > 0) request.consumed = { rows, windows };
    // Only a job's upload streams rows in after this point; no other request needs this.
    if (request.routeOptions.config.scope === 'jobs') {
      request.chargeRows = rowCharger(request, caller, windows);
    }
    return undefined;
  }

  /** Charges more rows of a job's upload as they stream in (request.chargeRows). */
  const rowCharger =
    (request: FastifyRequest, caller: Caller, windows: UsageWindows) =>
    async (more: number): Promise<void> => {
      let charged: LimitDecision;
      try {
        charged = await limiter.consume(caller.subject, caller.limits, more, windows, false);
      } catch (err) {
        options.onLimiterError(err);
        return;
      }
      if (charged.refusal !== null) {
        throw refusalError(charged.refusal, caller.limits, windows, now());
      }
      if (charged.usage === null || more <= 0) return;
      const total = (request.consumed?.rows ?? 0) + more;
      request.consumed = { rows: total, windows };
    };

  app.addHook('onResponse', (request, reply, done) => {
    // undefined, not null, on the routes of plugins registered before this one's decorator
    // (Swagger UI's): those are public, and no caller is ever needed there.
    const caller = request.caller as Caller | null | undefined;
    if (caller === null || caller === undefined) return done();
    const label =
      caller.keyId === null
        ? caller.subject === 'admin'
          ? 'admin'
          : ANONYMOUS
        : metrics.label(caller.keyId);
    metrics.requests.inc({ key_id: label, status: reply.statusCode });
    const consumed = request.consumed;
    if (consumed !== null) {
      if (reply.statusCode < 400) {
        metrics.rows.inc({ key_id: label }, consumed.rows);
      } else {
        // Rows that were not answered are not owed.
        limiter
          .refund(caller.subject, consumed.rows, consumed.windows)
          .catch(options.onLimiterError);
      }
    }
    done();
  });
}

/** The decision when the limiter could not be asked: served, uncounted. */
const NOT_COUNTED: LimitDecision = { refusal: null, usage: null };

/** Sets the caller; FORBIDDEN when its key lacks the route's scope. */
function admitted(request: FastifyRequest, caller: Caller, scope: string): ApiError | undefined {
  request.caller = caller;
  const anyKey = request.routeOptions.config.anyKey === true;
  if (!anyKey && !caller.scopes.includes(scope as 'predict' | 'jobs' | 'admin')) {
    return new ApiError('FORBIDDEN', `this key lacks the ${scope} scope`);
  }
  return undefined;
}

/** A credential refused: counted under one label (made-up ids would grow the scrape). */
function refused(metrics: KeyMetrics, err: unknown): Error {
  if (err instanceof ApiError && err.code === 'UNAUTHENTICATED') {
    metrics.requests.inc({ key_id: NO_KEY, status: 401 });
  }
  return err as Error;
}

/** The model a request names: the path's `{model}`, else `/predict`'s `model_name`. */
function modelOf(request: FastifyRequest): string | undefined {
  const params = request.params as { model?: unknown } | undefined;
  if (typeof params?.model === 'string') return params.model;
  const body = request.body as { model_name?: unknown } | undefined;
  return typeof body?.model_name === 'string' ? body.model_name : undefined;
}

/** The error a refused request answers with (429 RATE_LIMITED or QUOTA_EXCEEDED). */
function refusalError(
  refusal: NonNullable<Refusal>,
  limits: CallerLimits,
  windows: UsageWindows,
  at: number,
): ApiError {
  switch (refusal) {
    case 'requests':
      return new ApiError(
        'RATE_LIMITED',
        `more than ${limits.requestsPerMinute} requests in the window`,
        { retryAfterSeconds: secondsUntil(windows.requestsResetAt, at) },
      );
    case 'day':
      return new ApiError(
        'QUOTA_EXCEEDED',
        `the ${limits.rowsPerDay} rows of today's quota would be passed`,
        { retryAfterSeconds: secondsUntil(windows.dayResetAt, at) },
      );
    case 'month':
      return new ApiError(
        'QUOTA_EXCEEDED',
        `the ${limits.rowsPerMonth} rows of this month's quota would be passed`,
        { retryAfterSeconds: secondsUntil(windows.monthResetAt, at) },
      );
  }
}
