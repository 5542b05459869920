// The HTTP side of the scripts: every request carries the API key and `model`/`route` tags, so
// thresholds and results can be split per model and per route family.

import { check, fail } from 'k6';
import http from 'k6/http';
import type { K6Config } from './config.ts';
import {
  MODEL_NAMES,
  type ModelShape,
  type Route,
  routeBody,
  routePath,
  shapeFromMetadata,
} from './payloads.ts';

export type Shapes = Record<string, ModelShape>;

function headers(config: K6Config): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json' };
  if (config.apiKey !== undefined) h[config.apiKeyHeader] = config.apiKey;
  return h;
}

/**
 * Learns each model's input name and width from `GET /v2/models/{m}`, so the scripts follow
 * whatever models are deployed. Runs in setup(); a model that is missing fails the run at once.
 */
export function fetchShapes(config: K6Config, models: readonly string[] = MODEL_NAMES): Shapes {
  const shapes: Shapes = {};
  for (const name of models) {
    const res = http.get(`${config.baseUrl}/v2/models/${encodeURIComponent(name)}`, {
      headers: headers(config),
      tags: { phase: 'setup' },
    });
    if (res.status !== 200) fail(`GET /v2/models/${name} answered ${res.status}`);
    shapes[name] = shapeFromMetadata(name, res.json());
  }
  return shapes;
}

/** A model's shape from setup()'s data; a missing one stops the VU's iteration loudly. */
export function shapeFor(shapes: Shapes, model: string): ModelShape {
  const shape = shapes[model];
  if (shape === undefined) fail(`setup() returned no input shape for model ${model}`);
  return shape;
}

export interface InferResult {
  ok: boolean;
  /** `cached` from a /predict reply; false for other routes or failures. */
  cached: boolean;
}

/** One inference request, checked for a 200 and a well-formed reply. */
export function infer(
  config: K6Config,
  route: Route,
  shape: ModelShape,
  rows: number[][],
  tags: Record<string, string> = {},
): InferResult {
  const res = http.post(
    `${config.baseUrl}${routePath(route, shape.name)}`,
    JSON.stringify(routeBody(route, shape, rows)),
    {
      headers: headers(config),
      tags: { model: shape.name, route, ...tags },
      timeout: config.timeout,
    },
  );
  const body = res.status === 200 ? parseReply(res.body) : null;
  const ok = check(res, {
    'status is 200': (r) => r.status === 200,
    'reply has one prediction per row': () =>
      route === 'v2'
        ? Array.isArray(body?.outputs)
        : Array.isArray(body?.predictions) && body.predictions.length === rows.length,
  });
  return { ok, cached: body?.cached === true };
}

interface Reply {
  predictions?: unknown;
  outputs?: unknown;
  cached?: unknown;
}

function parseReply(body: unknown): Reply | null {
  if (typeof body !== 'string') return null;
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Reply) : null;
  } catch {
    return null;
  }
}

/** Thresholds every script shares: under 1% failures and a p95 budget per model. */
export function modelThresholds(
  config: K6Config,
  models: readonly string[] = MODEL_NAMES,
): Record<string, string[]> {
  const thresholds: Record<string, string[]> = {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
  };
  for (const model of models) {
    const budget = config.p95Ms[model];
    if (budget !== undefined) thresholds[`http_req_duration{model:${model}}`] = [`p(95)<${budget}`];
  }
  return thresholds;
}

/**
 * A per-run offset for unique inputs, so a second run against a warm cache still misses.
 * Lands in uniqueRow's high part; iteration numbers fill the low part.
 */
export function runSalt(): number {
  return (Date.now() % 999_983) * 1_000_000;
}
