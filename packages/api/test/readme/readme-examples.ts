import { parseShell, type ShellCommand, type ShellComment } from './shell-words.js';

// The README test's extraction convention; the full statement is at the top of
// test/readme.test.ts and in docs/architecture.md ("README examples are tests").

export interface ExampleRequest {
  readonly method: string;
  /** Path and query, as sent to the test's stack. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

export interface ExpectedResponse {
  /** null: any 2xx. */
  readonly status: number | null;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  /** undefined: not shown (only the status and headers are checked). */
  readonly body: unknown;
}

export interface Example {
  /** 1-based README line of the command. */
  readonly line: number;
  readonly command: string;
  readonly request: ExampleRequest | null;
  /** null: nothing shown; the example must answer 2xx. */
  readonly expected: ExpectedResponse | null;
  readonly skip: string | null;
  readonly needs: readonly string[];
  /** What the extractor could not read; the test fails on each. */
  readonly problems: readonly string[];
}

interface Block {
  readonly lang: string;
  /** README line of the first content line. */
  readonly line: number;
  readonly text: string;
  readonly marker: { skip: string | null; needs: string[] } | null;
  /** The next block, when only blank lines separate the two. */
  next: Block | null;
}

const FENCE = /^\s*(`{3,}|~{3,})\s*([\w-]*)/;
const MARKER = /^<!--\s*readme-test:\s*(skip|needs)\b\s*(.*?)\s*-->\s*$/;

function blocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const out: Block[] = [];
  let previous: Block | null = null;
  let lastContent = -1; // index of the last non-blank line outside a block
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (open === null) {
      if ((lines[i] as string).trim() !== '') {
        lastContent = i;
        previous = null;
      }
      continue;
    }
    const fence = open[1] as string;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !(lines[end] as string).trim().startsWith(fence)) end++;
    const before = lastContent >= 0 ? MARKER.exec(lines[lastContent] as string) : null;
    const marker =
      before === null
        ? null
        : before[1] === 'skip'
          ? { skip: before[2] || 'marked skip', needs: [] }
          : { skip: null, needs: (before[2] ?? '').split(/[\s,]+/).filter(Boolean) };
    const block: Block = {
      lang: (open[2] ?? '').toLowerCase(),
      line: start + 1,
      text: lines.slice(start, end).join('\n'),
      marker: previous === null ? marker : null,
      next: null,
    };
    if (previous !== null) previous.next = block;
    out.push(block);
    previous = block;
    lastContent = -1;
    i = end;
  }
  return out;
}

/**
 * Every curl example of the README's sh blocks whose URL is on one of `hosts` (`localhost:8080`),
 * in order, with what it shows as its response.
 */
export function extractExamples(
  markdown: string,
  options: { hosts: readonly string[]; vars?: Readonly<Record<string, string>> },
): Example[] {
  const examples: Example[] = [];
  for (const block of blocks(markdown)) {
    if (block.lang !== 'sh' && block.lang !== 'bash' && block.lang !== 'shell') continue;
    const script = parseShell(block.text, options.vars ?? {});
    const curls = script.commands.filter(
      (c) => c.words[0] === 'curl' && c.words.some((w) => onHost(w, options.hosts)),
    );
    const sourceLines = block.text.split('\n');
    curls.forEach((command, index) => {
      const problems = [...script.problems];
      if (command.separator === '|') problems.push('a curl piped into another command');
      const parsed = parseCurl(command.words, options.hosts);
      problems.push(...parsed.problems);
      let shown = outputComments(command, script.comments);
      const last = index === curls.length - 1;
      const following = block.next;
      if (last && following !== null && (following.lang === 'json' || following.lang === 'http')) {
        if (shown !== null) problems.push('both a comment and a following block show its response');
        else shown = following.text;
      }
      const expected = shown === null ? { value: null, problem: null } : parseExpected(shown);
      if (expected.problem !== null) problems.push(expected.problem);
      examples.push({
        line: block.line + command.firstLine - 1,
        command: sourceLines.slice(command.firstLine - 1, command.lastLine).join('\n'),
        request: parsed.request,
        expected: expected.value,
        skip: block.marker?.skip ?? null,
        needs: block.marker?.needs ?? [],
        problems,
      });
    });
  }
  return examples;
}

function onHost(word: string, hosts: readonly string[]): boolean {
  return hosts.some((h) => word.startsWith(h) || word.startsWith(`http://${h}`));
}

/** The comment on the command's last line and the whole-line comments right below it. */
function outputComments(command: ShellCommand, comments: readonly ShellComment[]): string | null {
  const texts: string[] = [];
  const trailing = comments.find((c) => c.line === command.lastLine && !c.wholeLine);
  if (trailing !== undefined) texts.push(trailing.text);
  for (let line = command.lastLine + 1; ; line++) {
    const below = comments.find((c) => c.line === line && c.wholeLine);
    if (below === undefined) break;
    texts.push(below.text);
  }
  return texts.length === 0 ? null : texts.join('\n');
}

const STATUS_LINE = /^HTTP\/[\d.]+\s+(\d{3})\b/;
const HEADER_LINE = /^([A-Za-z0-9-]+):\s*(.*)$/;

/** `HTTP/1.1 <status> …`, then `name: value` lines, then the JSON body; each part optional. */
function parseExpected(text: string): { value: ExpectedResponse | null; problem: string | null } {
  const lines = text.split('\n');
  let status: number | null = null;
  const headers: Record<string, string> = {};
  const statusMatch = STATUS_LINE.exec(lines[0]?.trim() ?? '');
  if (statusMatch !== null) {
    status = Number(statusMatch[1]);
    lines.shift();
    for (let header = HEADER_LINE.exec(lines[0] ?? ''); header !== null; ) {
      headers[(header[1] as string).toLowerCase()] = (header[2] as string).trim();
      lines.shift();
      header = HEADER_LINE.exec(lines[0] ?? '');
    }
  }
  const rest = lines.join('\n').trim();
  if (rest === '') {
    if (status === null) return { value: null, problem: 'an empty response shown' };
    return { value: { status, headers, body: undefined }, problem: null };
  }
  try {
    return { value: { status, headers, body: JSON.parse(rest) }, problem: null };
  } catch {
    return {
      value: null,
      problem:
        status === null
          ? 'the response shown is neither JSON nor an HTTP status line (prose belongs outside the block)'
          : 'the body shown after the status line is not JSON',
    };
  }
}

const NO_VALUE_FLAGS = new Set([
  '-s',
  '--silent',
  '-S',
  '--show-error',
  '-i',
  '--include',
  '-f',
  '--fail',
  '-L',
  '--location',
]);
const SHORT_NO_VALUE = 'sSifL';
const VALUE_FLAGS: Record<string, 'method' | 'header' | 'data' | 'json'> = {
  '-X': 'method',
  '--request': 'method',
  '-H': 'header',
  '--header': 'header',
  '-d': 'data',
  '--data': 'data',
  '--data-raw': 'data',
  '--data-binary': 'data',
  '--json': 'json',
};

/** The request a curl command line sends, as curl would send it. */
function parseCurl(
  words: readonly string[],
  hosts: readonly string[],
): { request: ExampleRequest | null; problems: string[] } {
  const problems: string[] = [];
  let method: string | null = null;
  const headers: Record<string, string> = {};
  let body: string | undefined;
  let url: string | null = null;
  const take = (kind: 'method' | 'header' | 'data' | 'json', value: string | undefined) => {
    if (value === undefined) {
      problems.push(`a curl option is missing its value`);
      return;
    }
    if (kind === 'method') method = value;
    else if (kind === 'header') {
      const colon = value.indexOf(':');
      if (colon <= 0) problems.push(`not a header: ${value}`);
      else headers[value.slice(0, colon).trim().toLowerCase()] = value.slice(colon + 1).trim();
    } else {
      if (value.startsWith('@')) problems.push('a body read from a file (@) is not supported');
      body = body === undefined ? value : `${body}&${value}`;
      if (kind === 'json') {
        headers['content-type'] ??= 'application/json';
        headers.accept ??= 'application/json';
      }
    }
  };
  for (let i = 1; i < words.length; i++) {
    const word = words[i] as string;
    const kind = VALUE_FLAGS[word];
    if (kind !== undefined) take(kind, words[++i]);
    else if (NO_VALUE_FLAGS.has(word)) continue;
    else if (/^-[A-Za-z]+$/.test(word)) {
      // A cluster such as -si or -sH 'x: y': flags without values, the last may take one.
      const letters = word.slice(1);
      const lastKind = VALUE_FLAGS[`-${letters.at(-1)}`];
      const plain = lastKind === undefined ? letters : letters.slice(0, -1);
      if ([...plain].some((l) => !SHORT_NO_VALUE.includes(l))) {
        problems.push(`unsupported curl option ${word}`);
      }
      if (lastKind !== undefined) take(lastKind, words[++i]);
    } else if (word.startsWith('-')) problems.push(`unsupported curl option ${word}`);
    else if (url === null) url = word;
    else problems.push(`a second URL: ${word}`);
  }
  if (url === null || !onHost(url, hosts))
    return { request: null, problems: [...problems, 'no URL'] };
  const parsed = new URL((url as string).startsWith('http') ? (url as string) : `http://${url}`);
  // curl's defaults: POST when there is a body, sent as a form unless a content type is given.
  if (body !== undefined) headers['content-type'] ??= 'application/x-www-form-urlencoded';
  const request: ExampleRequest = {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    path: `${parsed.pathname}${parsed.search}`,
    headers,
    body,
  };
  return { request, problems };
}
