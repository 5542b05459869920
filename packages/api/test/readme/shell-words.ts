/**
 * Just enough of POSIX sh to read the README's command blocks: words with '…' and "…" quoting,
 * backslash escapes and line continuations, `$NAME`/`${NAME}` from a given map, `#` comments,
 * and the separators newline ; & | && ||. Anything else (command substitution, redirection, a
 * variable the map lacks) is reported as a problem rather than guessed at.
 */

export interface ShellCommand {
  readonly words: string[];
  /** 1-based, within the block. */
  readonly firstLine: number;
  readonly lastLine: number;
  /** The separator that ended it ('\n', ';', '&', '|', '&&', '||', or '' at the end). */
  readonly separator: string;
}

export interface ShellComment {
  readonly line: number;
  /** The text after `#` and one space. */
  readonly text: string;
  /** True when nothing but blanks precedes it on its line. */
  readonly wholeLine: boolean;
}

export interface ShellScript {
  readonly commands: ShellCommand[];
  readonly comments: ShellComment[];
  readonly problems: string[];
}

const SEPARATORS = ['&&', '||', ';', '&', '|'];

export function parseShell(
  source: string,
  vars: Readonly<Record<string, string>> = {},
): ShellScript {
  const commands: ShellCommand[] = [];
  const comments: ShellComment[] = [];
  const problems: string[] = [];
  let words: string[] = [];
  let word: string | null = null;
  let line = 1;
  let wordLine = 1;
  let firstLine = 1;
  let lineHasContent = false;
  let i = 0;

  const append = (text: string) => {
    if (word === null) {
      word = '';
      wordLine = line;
    }
    word += text;
  };
  const endWord = () => {
    if (word !== null) {
      if (words.length === 0) firstLine = wordLine;
      words.push(word);
      word = null;
    }
  };
  const endCommand = (separator: string) => {
    endWord();
    if (words.length > 0) commands.push({ words, firstLine, lastLine: line, separator });
    words = [];
  };
  const expand = (): string => {
    // At a `$`: a name or ${name}; returns its value.
    const braced = source[i + 1] === '{';
    const match = (braced ? /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/ : /^\$([A-Za-z_][A-Za-z0-9_]*)/).exec(
      source.slice(i),
    );
    if (match === null) {
      problems.push(`line ${line}: unsupported use of $`);
      i++;
      return '$';
    }
    i += match[0].length;
    const name = match[1] as string;
    const value = vars[name];
    if (value === undefined) {
      problems.push(`line ${line}: the variable $${name} has no value in the README test`);
      return '';
    }
    return value;
  };

  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === '\n') {
      endCommand('\n');
      line++;
      lineHasContent = false;
      i++;
    } else if (ch === ' ' || ch === '\t') {
      endWord();
      i++;
    } else if (ch === '#' && word === null) {
      const end = source.indexOf('\n', i);
      const text = source.slice(i + 1, end < 0 ? source.length : end);
      comments.push({
        line,
        text: text.startsWith(' ') ? text.slice(1) : text,
        wholeLine: !lineHasContent,
      });
      i = end < 0 ? source.length : end;
    } else if (ch === '\\') {
      if (source[i + 1] === '\n') {
        // A continuation: the command goes on on the next line.
        endWord();
        line++;
        i += 2;
      } else {
        append(source[i + 1] ?? '');
        i += 2;
      }
      lineHasContent = true;
    } else if (ch === "'") {
      const end = source.indexOf("'", i + 1);
      if (end < 0) {
        problems.push(`line ${line}: unterminated '`);
        break;
      }
      const text = source.slice(i + 1, end);
      append(text);
      line += text.split('\n').length - 1;
      i = end + 1;
      lineHasContent = true;
    } else if (ch === '"') {
      append('');
      let text = '';
      i++;
      while (i < source.length && source[i] !== '"') {
        const c = source[i] as string;
        if (c === '\\' && '"\\$`\n'.includes(source[i + 1] ?? '')) {
          if (source[i + 1] !== '\n') text += source[i + 1];
          else line++;
          i += 2;
        } else if (c === '$') {
          text += expand();
        } else if (c === '`') {
          problems.push(`line ${line}: command substitution is not supported`);
          i++;
        } else {
          if (c === '\n') line++;
          text += c;
          i++;
        }
      }
      if (i >= source.length) problems.push(`line ${line}: unterminated "`);
      append(text);
      i++;
      lineHasContent = true;
    } else if (ch === '$') {
      append(expand());
      lineHasContent = true;
    } else if ('<>`('.includes(ch)) {
      problems.push(`line ${line}: ${ch} (redirection or substitution) is not supported`);
      i++;
    } else {
      const sep = SEPARATORS.find((s) => source.startsWith(s, i));
      if (sep !== undefined) {
        endCommand(sep);
        i += sep.length;
      } else {
        append(ch);
        i++;
      }
      lineHasContent = true;
    }
  }
  endCommand('');
  return { commands, comments, problems };
}
