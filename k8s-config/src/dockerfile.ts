import { readRepoFile } from './repo.js';

export interface Instruction {
  /** Upper-cased: FROM, COPY, RUN, ... */
  op: string;
  /** `--name=value` flags, e.g. { from: 'build' }. */
  flags: Record<string, string>;
  /** The remaining words (JSON-array forms are decoded). */
  args: string[];
  line: number;
}

/** A Dockerfile's instructions: comments dropped, `\` continuations joined. */
export function parseDockerfile(file: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  readRepoFile(file)
    .split('\n')
    .forEach((raw, i) => {
      const text = raw.trim();
      if (pending === '' && (text === '' || text.startsWith('#'))) return;
      if (pending === '') start = i + 1;
      if (text.endsWith('\\')) {
        pending += `${text.slice(0, -1)} `;
        return;
      }
      const full = pending + text;
      pending = '';
      const [op = '', ...rest] = full.split(/\s+/);
      const body = rest.join(' ');
      let words: string[];
      if (body.startsWith('[')) words = JSON.parse(body) as string[];
      else words = rest;
      const flags: Record<string, string> = {};
      const args: string[] = [];
      for (const word of words) {
        const flag = /^--([a-z-]+)=(.*)$/.exec(word);
        if (flag && args.length === 0) flags[flag[1] as string] = flag[2] as string;
        else args.push(word);
      }
      out.push({ op: op.toUpperCase(), flags, args, line: start });
    });
  return out;
}

/** Substitutes `${NAME}` and `$NAME` from `vars`; an unknown variable is left as it is. */
export function expand(word: string, vars: Record<string, string>): string {
  return word.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => {
    const value = vars[(a ?? b) as string];
    return value ?? m;
  });
}
