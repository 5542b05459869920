/**
 * How a README example's shown response is compared with the real one: the same JSON type at
 * every node, objects with exactly the same field names, arrays of the same length, strings and
 * booleans equal, numbers within TOLERANCE (the README rounds model outputs to 4 decimals).
 * A string in angle brackets is a placeholder for what cannot be shown literally: `"<number>"`
 * matches any number, `"<any>"` any value, any other `"<…>"` (such as `"<generated id>"`) any
 * string.
 */
export const TOLERANCE = 1e-4;

const PLACEHOLDER = /^<[^<>]+>$/;

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Every difference, each as `<path>: <what>`; empty when the response matches. */
export function matchJson(expected: unknown, actual: unknown, path = '$'): string[] {
  if (typeof expected === 'string' && PLACEHOLDER.test(expected)) {
    if (expected === '<any>') return [];
    const want = expected === '<number>' ? 'number' : 'string';
    return kind(actual) === want ? [] : [`${path}: expected any ${want}, got ${kind(actual)}`];
  }
  if (kind(expected) !== kind(actual)) {
    return [`${path}: expected ${kind(expected)}, got ${kind(actual)} ${short(actual)}`];
  }
  if (typeof expected === 'number') {
    const diff = Math.abs(expected - (actual as number));
    return diff <= TOLERANCE ? [] : [`${path}: expected ${expected}, got ${actual as number}`];
  }
  if (Array.isArray(expected)) {
    const got = actual as unknown[];
    if (got.length !== expected.length) {
      return [`${path}: expected ${expected.length} items, got ${got.length}`];
    }
    return expected.flatMap((item, i) => matchJson(item, got[i], `${path}[${i}]`));
  }
  if (typeof expected === 'object' && expected !== null) {
    const want = expected as Record<string, unknown>;
    const got = actual as Record<string, unknown>;
    const out: string[] = [];
    for (const key of Object.keys(want)) {
      if (!Object.hasOwn(got, key)) out.push(`${path}.${key}: missing from the response`);
      else out.push(...matchJson(want[key], got[key], `${path}.${key}`));
    }
    for (const key of Object.keys(got)) {
      if (!Object.hasOwn(want, key)) out.push(`${path}.${key}: in the response but not shown`);
    }
    return out;
  }
  return expected === actual ? [] : [`${path}: expected ${short(expected)}, got ${short(actual)}`];
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A response as the README would show it: compact JSON, numbers rounded to 4 decimals. */
export function readmeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e4) / 1e4 : v,
  );
}
