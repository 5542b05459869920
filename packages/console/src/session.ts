/**
 * The API key the console sends, kept in sessionStorage: it lives as long as the tab, is never
 * put in a URL or a cookie, and is gone when the tab closes.
 */
const KEY = 'mlapi.console.api-key';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: the console works without a key
  }
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}

/** A small JSON value kept for this tab only (tracked jobs, the policy before a change). */
export function sessionValue<T>(name: string, fallback: T): T {
  try {
    const raw = sessionStorage.getItem(`mlapi.console.${name}`);
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

export function setSessionValue(name: string, value: unknown): void {
  try {
    sessionStorage.setItem(`mlapi.console.${name}`, JSON.stringify(value));
  } catch {
    // storage full or disabled: the value lives until the page reloads
  }
}
