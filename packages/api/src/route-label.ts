/**
 * A route's path as a metric label reads it: `/v1/models/:model:predict`, not the
 * find-my-way source `/v1/models/:model(^[^:/]+)::predict`. Parameter regexes are dropped and
 * the escaped literal colon (`::`) is written once. Memoised: routes are few, requests many.
 */
export function routeLabel(url: string): string {
  let label = labels.get(url);
  if (label === undefined) {
    label = dropParamRegexes(url).replaceAll('::', ':');
    labels.set(url, label);
  }
  return label;
}

const labels = new Map<string, string>();

/** Removes each `(...)` that follows a `:param` name, allowing nested parentheses. */
function dropParamRegexes(url: string): string {
  let out = '';
  let i = 0;
  while (i < url.length) {
    const ch = url[i] as string;
    if (ch === '(' && /:[A-Za-z0-9_]+$/.test(out)) {
      let depth = 0;
      for (; i < url.length; i++) {
        if (url[i] === '\\') i++;
        else if (url[i] === '(') depth++;
        else if (url[i] === ')' && --depth === 0) break;
      }
      i++;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}
