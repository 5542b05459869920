/**
 * Why our own command deadline rather than node-redis's `commandOptions.timeout`:
 * - node-redis (6.3) arms that timeout only while a command waits to be written; once on the
 *   socket it is disarmed. A Redis that stops answering without closing the connection (a frozen
 *   process, a partition with no reset) then leaves every written command, and every request
 *   awaiting it, pending for ever: a GET to a SIGSTOPped redis-server was still pending after 3 s.
 * - It costs an `AbortSignal.timeout()` per command: about 7% of the gateway's CPU on cached
 *   predicts (a `--cpu-prof` profile of fast cached at c=64), twice that with API keys on.
 * A plain timer per command bounds the whole round trip for a fraction of that.
 */

/** The error a command gets when Redis did not answer within the deadline, or is stalled. */
export class RedisDeadlineError extends Error {
  readonly code = 'REDIS_TIMEOUT';
}

/** The commands the gateway sends; every other member passes through. */
const BOUNDED = new Set<PropertyKey>([
  'get',
  'set',
  'mGet',
  'del',
  'eval',
  'evalSha',
  'hGet',
  'hGetAll',
  'hSet',
  'hDel',
  'sMembers',
  'zRangeByScore',
  'lRange',
  'info',
  'ping',
]);

/**
 * Stall detection shared by one connection's commands. After a command misses its deadline the
 * connection counts as stalled: each later command fails at once, except one probe per deadline
 * period, until any command is answered. So a frozen Redis costs a request at most one deadline
 * and never piles up an unbounded queue of commands nobody will answer.
 */
class Deadlines {
  readonly #timeoutMs: number;
  /** While stalled: until when commands fail at once (the next one after it is a probe); else 0. */
  #stalledUntil = 0;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  run<T>(send: () => Promise<T>): Promise<T> {
    if (this.#stalledUntil !== 0) {
      const now = Date.now();
      if (now < this.#stalledUntil) {
        return Promise.reject(new RedisDeadlineError('Redis is not answering (stalled)'));
      }
      this.#stalledUntil = now + this.#timeoutMs;
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#stalledUntil = Date.now() + this.#timeoutMs;
        reject(new RedisDeadlineError(`Redis did not answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      send().then(
        (value) => {
          clearTimeout(timer);
          this.#stalledUntil = 0;
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }
}

/**
 * `client` with every command in BOUNDED (and a transaction's `exec`) rejecting with
 * RedisDeadlineError when Redis has not answered within `timeoutMs`. The same object type, so
 * callers keep node-redis's typings; other members are the client's own, bound to it (its
 * methods read private fields, which a proxy receiver would not have).
 */
export function withDeadlines<C extends object>(client: C, timeoutMs: number): C {
  return boundProxy(client, new Deadlines(timeoutMs));
}

function boundProxy<T extends object>(target: T, deadlines: Deadlines): T {
  const members = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      let member = members.get(property);
      if (member === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        if (BOUNDED.has(property)) {
          member = (...args: unknown[]) =>
            deadlines.run(() => method.apply(object, args) as Promise<unknown>);
        } else if (property === 'multi') {
          member = (...args: unknown[]) =>
            boundTransaction(method.apply(object, args) as object, deadlines);
        } else {
          member = method.bind(object);
        }
        members.set(property, member);
      }
      return member;
    },
  });
}

/**
 * A transaction is built by chained calls, each returning the chain, and sent by exec(): the
 * chain stays this proxy, and exec() is bounded.
 */
function boundTransaction<T extends object>(chain: T, deadlines: Deadlines): T {
  const proxy: T = new Proxy(chain, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === 'exec' || property === 'execAsPipeline') {
        return (...args: unknown[]) =>
          deadlines.run(() => method.apply(object, args) as Promise<unknown>);
      }
      return (...args: unknown[]) => {
        const result = method.apply(object, args);
        return result === object ? proxy : result;
      };
    },
  });
  return proxy;
}
