import {
  fixedRow,
  MODEL_NAMES,
  type ModelShape,
  mixedModel,
  type Route,
  routeBody,
  routePath,
  uniqueRow,
} from '../k6/lib/payloads.js';

/**
 * What a cell sends. `unique` inputs defeat the gateway's cache (every row is new); `fixed`
 * repeats one input so every request after the first is a cache hit; `mixed` is the 3:2:1 mix
 * with unique inputs.
 */
export type Workload =
  | {
      kind: 'unique';
      model: string;
      route: Route;
      rows?: number;
      /** Callers to spread requests over (`x-session-id`), for sticky version routing. */
      sessions?: number;
    }
  | { kind: 'fixed'; model: string; route: Route }
  | { kind: 'mixed' };

export interface OutgoingRequest {
  path: string;
  body: string;
  /** Per-request headers beyond the cell's own. */
  headers?: Record<string, string>;
}

/** Returns the next request to send; each call advances the input sequence. */
export type RequestSource = () => OutgoingRequest;

function shapeOf(shapes: Readonly<Record<string, ModelShape>>, model: string): ModelShape {
  const shape = shapes[model];
  if (shape === undefined) throw new TypeError(`no input shape known for model ${model}`);
  return shape;
}

/**
 * Builds the request sequence for a workload. `salt` offsets the unique inputs so a cell never
 * repeats inputs an earlier cell (or an earlier run against a warm cache) already sent.
 */
export function requestSource(
  workload: Workload,
  shapes: Readonly<Record<string, ModelShape>>,
  salt: number,
): RequestSource {
  if (workload.kind === 'fixed') {
    const shape = shapeOf(shapes, workload.model);
    const request: OutgoingRequest = {
      path: routePath(workload.route, shape.name),
      body: JSON.stringify(routeBody(workload.route, shape, [fixedRow(shape.features)])),
    };
    return () => request;
  }
  let i = 0;
  if (workload.kind === 'unique') {
    const shape = shapeOf(shapes, workload.model);
    const path = routePath(workload.route, shape.name);
    const rows = workload.rows ?? 1;
    const sessions = workload.sessions ?? 0;
    return () => {
      const batch: number[][] = [];
      const n = i;
      for (let r = 0; r < rows; r++) batch.push(uniqueRow(shape.features, salt + i++));
      const body = JSON.stringify(routeBody(workload.route, shape, batch));
      return sessions > 0
        ? { path, body, headers: { 'x-session-id': `caller-${n % sessions}` } }
        : { path, body };
    };
  }
  // Fail before the run starts, not on the first request to a model without a shape.
  for (const name of MODEL_NAMES) shapeOf(shapes, name);
  return () => {
    const shape = shapeOf(shapes, mixedModel(i));
    return {
      path: '/predict',
      body: JSON.stringify(routeBody('predict', shape, [uniqueRow(shape.features, salt + i++)])),
    };
  };
}
