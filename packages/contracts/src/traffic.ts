import { isModelVersion, MODEL_VERSION_PATTERN } from './names.js';

/** Callers are spread over this many sticky buckets per model (DESIGN.md, "Versions"). */
export const TRAFFIC_BUCKETS = 10_000;

/** A share of requests also sent to another version, whose answers are compared, never returned. */
export interface ShadowPolicy {
  readonly version: string;
  /** 0 to 100; fractions allowed. */
  readonly percent: number;
}

/**
 * Optional automatic rollback: a canary (any version with weight but the one with the most) whose
 * server-error rate over `window_seconds` exceeds the stable version's by more than `margin` has
 * its weight set to 0.
 */
export interface AutoRollbackPolicy {
  /** Absolute difference of error rates, 0 to 1. Default 0.05. */
  readonly margin: number;
  /** Default 60. */
  readonly window_seconds: number;
  /** Requests the canary must have had in the window before it is judged. Default 50. */
  readonly min_requests: number;
}

/** A model's traffic policy, as `PUT /admin/models/{m}/traffic` takes it. */
export interface TrafficPolicy {
  /** Version → relative weight (a non-negative integer); the weights sum to more than 0. */
  readonly weights: Readonly<Record<string, number>>;
  readonly shadow: ShadowPolicy | null;
  readonly auto_rollback: AutoRollbackPolicy | null;
}

export const DEFAULT_AUTO_ROLLBACK: AutoRollbackPolicy = Object.freeze({
  margin: 0.05,
  window_seconds: 60,
  min_requests: 50,
});

/** Bounds that keep a policy small enough to read on every request. */
const MAX_VERSIONS = 32;
const MAX_WEIGHT = 1_000_000;

/** A policy that cannot be applied; `field` names the first bad field. */
export class TrafficPolicyError extends Error {
  readonly code = 'POLICY_INVALID';
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field} ${message}`);
    this.name = 'TrafficPolicyError';
    this.field = field;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberIn(value: unknown, field: string, min: number, max: number, integer: boolean) {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    value < min ||
    value > max
  ) {
    throw new TrafficPolicyError(
      field,
      `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
    );
  }
  return value;
}

function checkKeys(value: Record<string, unknown>, field: string, allowed: readonly string[]) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new TrafficPolicyError(`${field}${key}`, `is not a field (${allowed.join(', ')})`);
    }
  }
}

/**
 * Checks the shape of a traffic policy (whether its versions exist is the gateway's to check) and
 * returns it frozen, with absent optional parts as null and rollback defaults filled in.
 * @throws TrafficPolicyError naming the first bad field
 */
export function parseTrafficPolicy(value: unknown): TrafficPolicy {
  if (!isRecord(value)) throw new TrafficPolicyError('(root)', 'must be a JSON object');
  checkKeys(value, '', ['weights', 'shadow', 'auto_rollback']);
  const rawWeights = value.weights;
  if (!isRecord(rawWeights)) throw new TrafficPolicyError('weights', 'must be an object');
  const entries = Object.entries(rawWeights);
  if (entries.length === 0 || entries.length > MAX_VERSIONS) {
    throw new TrafficPolicyError('weights', `must name 1 to ${MAX_VERSIONS} versions`);
  }
  const weights: Record<string, number> = {};
  let total = 0;
  for (const [version, weight] of entries) {
    if (!isModelVersion(version)) {
      throw new TrafficPolicyError(`weights.${version}`, `must match ${MODEL_VERSION_PATTERN}`);
    }
    weights[version] = numberIn(weight, `weights.${version}`, 0, MAX_WEIGHT, true);
    total += weights[version];
  }
  if (total <= 0) throw new TrafficPolicyError('weights', 'must sum to more than 0');

  let shadow: ShadowPolicy | null = null;
  if (value.shadow !== undefined && value.shadow !== null) {
    if (!isRecord(value.shadow)) throw new TrafficPolicyError('shadow', 'must be an object');
    checkKeys(value.shadow, 'shadow.', ['version', 'percent']);
    const version = value.shadow.version;
    if (!isModelVersion(version)) {
      throw new TrafficPolicyError('shadow.version', `must match ${MODEL_VERSION_PATTERN}`);
    }
    shadow = { version, percent: numberIn(value.shadow.percent, 'shadow.percent', 0, 100, false) };
  }

  let rollback: AutoRollbackPolicy | null = null;
  if (value.auto_rollback !== undefined && value.auto_rollback !== null) {
    const raw = value.auto_rollback;
    if (!isRecord(raw)) throw new TrafficPolicyError('auto_rollback', 'must be an object');
    checkKeys(raw, 'auto_rollback.', ['margin', 'window_seconds', 'min_requests']);
    const d = DEFAULT_AUTO_ROLLBACK;
    rollback = {
      margin: numberIn(raw.margin ?? d.margin, 'auto_rollback.margin', 0, 1, false),
      window_seconds: numberIn(
        raw.window_seconds ?? d.window_seconds,
        'auto_rollback.window_seconds',
        10,
        3600,
        true,
      ),
      min_requests: numberIn(
        raw.min_requests ?? d.min_requests,
        'auto_rollback.min_requests',
        1,
        1_000_000,
        true,
      ),
    };
  }
  return deepFreeze({ weights, shadow, auto_rollback: rollback });
}

/**
 * The sticky bucket of a caller for a model: hash(caller, model) mod {@link TRAFFIC_BUCKETS}.
 * The hash is 32-bit FNV-1a over the UTF-16 code units of `caller`, a NUL, then `model`, finished
 * with MurmurHash3's fmix32 so that callers differing in one character spread evenly. Cheap
 * enough for every request, and simple to reproduce in any language.
 */
export function stickyBucket(caller: string, model: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < caller.length; i++) h = Math.imul(h ^ caller.charCodeAt(i), 0x01000193);
  h = Math.imul(h, 0x01000193); // the NUL separator: h ^ 0 is h
  for (let i = 0; i < model.length; i++) h = Math.imul(h ^ model.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % TRAFFIC_BUCKETS;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
