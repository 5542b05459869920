import { randomBytes } from 'node:crypto';
import { MODEL_NAMES } from '../k6/lib/payloads.js';
import { BenchError } from './errors.js';
import { getJson } from './http-probe.js';
import type { LocalStack } from './local-stack.js';
import type { ResultRow } from './results.js';
import type { TargetCheck } from './targets.js';

/**
 * Issue 10's pair: the cost of API keys plus per-key limits, measured as two gateways that
 * differ only in that. Both keep keys, counters and the cache in the same Redis (the store a
 * cluster runs); one has AUTH=off and no limits, the other AUTH=keys and a key whose request
 * and row limits are set (so every request is counted against them) but high enough never to
 * refuse one. The workers stay up between them; only the gateway is restarted.
 */
export type AuthProfile = 'off' | 'keys';

/** The Redis the pair uses when the run gives none (`--redis`). */
export const AUTH_DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

// Never reached in a 10 s cell at any rate this machine can offer, so nothing is refused, yet
// set, so each request is counted: from a lease the limiter took in Redis while the caller is
// far from its limits (USAGE_LEASE_MIN_FREE), as a production key with room left would be.
const UNREACHED_LIMIT = 1_000_000_000;

interface MintedKey {
  id: string;
  key: string;
}

export class AuthPair {
  readonly #stack: LocalStack;
  readonly #redisUrl: string;
  // One pepper and admin key for the whole run: a key minted under the first keys gateway must
  // verify under every later one.
  readonly #pepper = randomBytes(32).toString('hex');
  readonly #adminKey = `bench-admin-${randomBytes(16).toString('hex')}`;
  #minted: MintedKey | null = null;
  #current: AuthProfile | null = null;

  constructor(stack: LocalStack, redisUrl: string | null) {
    this.#stack = stack;
    this.#redisUrl = redisUrl ?? AUTH_DEFAULT_REDIS_URL;
  }

  /** Whether a gateway of the pair (rather than the stack's usual one) is running. */
  get active(): boolean {
    return this.#current !== null;
  }

  /**
   * Runs the gateway `profile` asks for (restarting it only on a change) and resolves with the
   * headers a cell sends to it, once it serves every model to them.
   */
  async use(profile: AuthProfile): Promise<Record<string, string>> {
    if (this.#current !== profile) {
      this.#current = profile;
      await this.#stack.restartGateway(this.#env(profile), profile === 'off');
    }
    if (profile === 'off') return {};
    const headers = { 'x-api-key': (await this.#key()).key };
    for (const model of MODEL_NAMES) await this.#awaitModel(model, headers);
    return headers;
  }

  /** Deletes the bench's key and brings the stack's usual gateway back. */
  async restore(): Promise<void> {
    if (this.#current === null) return;
    await this.deleteKey();
    this.#current = null;
    await this.#stack.restartGateway({});
  }

  /** Deletes the bench's key from the Redis store, so no run leaves a live key behind. */
  async deleteKey(): Promise<void> {
    if (this.#minted === null || this.#current !== 'keys') return;
    const res = await fetch(`${this.#stack.url}/admin/keys/${this.#minted.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${this.#adminKey}` },
    });
    if (res.status !== 204) {
      throw new BenchError(
        'BENCH_NOT_READY',
        `deleting the bench's API key ${this.#minted.id}: ${res.status} ${await res.text()}`,
      );
    }
    this.#minted = null;
  }

  #env(profile: AuthProfile): Record<string, string> {
    const common = { REDIS_URL: this.#redisUrl, RATE_LIMIT_MAX: '0' };
    if (profile === 'off') return { ...common, AUTH: 'off' };
    return {
      ...common,
      AUTH: 'keys',
      API_KEY_PEPPER: this.#pepper,
      ADMIN_API_KEY: this.#adminKey,
    };
  }

  async #key(): Promise<MintedKey> {
    if (this.#minted !== null) return this.#minted;
    const res = await fetch(`${this.#stack.url}/admin/keys`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.#adminKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        name: `bench-${process.pid}`,
        models: ['*'],
        scopes: ['predict'],
        rate_limit_per_minute: UNREACHED_LIMIT,
        rows_per_day: UNREACHED_LIMIT,
        rows_per_month: UNREACHED_LIMIT,
      }),
    });
    const body = (await res.json().catch(() => null)) as Partial<MintedKey> | null;
    if (res.status !== 201 || typeof body?.key !== 'string' || typeof body.id !== 'string') {
      throw new BenchError(
        'BENCH_NOT_READY',
        `minting the bench's API key: ${res.status} ${JSON.stringify(body)}`,
      );
    }
    this.#minted = { id: body.id, key: body.key };
    return this.#minted;
  }

  async #awaitModel(model: string, headers: Record<string, string>): Promise<void> {
    const url = `${this.#stack.url}/v2/models/${model}/ready`;
    const deadline = Date.now() + 30_000;
    while ((await getJson(url, headers)).status !== 200) {
      if (Date.now() > deadline) {
        throw new BenchError('BENCH_NOT_READY', `${url} never answered 200 to the bench's key`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * Issue 10's target: each keys cell keeps at least 90% of its off twin's throughput, on the
 * mean of their rounds (`--pair-rounds`; round n > 1 is named `<cell>#n`).
 */
export function checkAuthTargets(rows: readonly ResultRow[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const meanOf = (scenario: string) => {
    const found = rows.filter(
      (r) => r.scenario === scenario || r.scenario.startsWith(`${scenario}#`),
    );
    return found.length === 0
      ? null
      : { rps: found.reduce((sum, r) => sum + r.rps, 0) / found.length, rounds: found.length };
  };
  for (const base of ['fast-cached', 'fast-uncached']) {
    const off = meanOf(`${base}-auth-off`);
    const keys = meanOf(`${base}-auth-keys`);
    const last = rows.findLast((r) => r.scenario.startsWith(`${base}-auth-`));
    const ratio = off !== null && keys !== null && off.rps > 0 ? keys.rps / off.rps : null;
    const rounds = keys !== null && keys.rounds > 1 ? `, mean of ${keys.rounds} rounds` : '';
    checks.push({
      target: `${base} c64, API keys + limits vs off (Redis store): ≥ 0.90 ×`,
      measured:
        ratio === null || off === null || keys === null
          ? 'not run'
          : `${ratio.toFixed(3)} × (${keys.rps.toFixed(0)} vs ${off.rps.toFixed(0)} req/s${rounds})`,
      met: ratio === null ? null : ratio >= 0.9,
      loadavg_1m: last?.loadavg_1m ?? null,
    });
  }
  return checks;
}
