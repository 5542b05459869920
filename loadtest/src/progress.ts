import type { Progress } from './cell.js';

/**
 * One status line per cell: "[3/12] fast-uncached c=64  measure 4.0/10 s  8,123 req/s  12.3 s".
 * On a terminal it rewrites itself in place; otherwise it prints every few seconds so CI logs
 * stay readable.
 */
export class ProgressLine {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #startedAt = performance.now();
  #label = '';
  #lastCompleted = 0;
  #lastAt = 0;
  #lastPrinted = 0;
  #phase: Progress['phase'] | null = null;

  constructor(out: NodeJS.WriteStream = process.stdout) {
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  begin(index: number, total: number, label: string): void {
    this.#label = `[${index}/${total}] ${label}`;
    this.#lastCompleted = 0;
    this.#lastAt = 0;
    this.#phase = null;
    this.#write(`${this.#label}  starting`, true);
  }

  update(progress: Progress, seconds: number): void {
    if (progress.phase !== this.#phase) {
      this.#phase = progress.phase;
      this.#lastAt = 0;
      this.#lastCompleted = 0;
    }
    const dt = (progress.elapsedMs - this.#lastAt) / 1000;
    const rps = dt > 0 ? (progress.completed - this.#lastCompleted) / dt : 0;
    this.#lastCompleted = progress.completed;
    this.#lastAt = progress.elapsedMs;
    const total = ((performance.now() - this.#startedAt) / 1000).toFixed(0);
    this.#write(
      `${this.#label}  ${progress.phase} ${(progress.elapsedMs / 1000).toFixed(0)}/${seconds} s  ${Math.round(rps).toLocaleString('en-US')} req/s  (total ${total} s)`,
      false,
    );
  }

  /** A free-form status after the label (a job's rows done), at the same pace as update(). */
  step(text: string): void {
    const total = ((performance.now() - this.#startedAt) / 1000).toFixed(0);
    this.#write(`${this.#label}  ${text}  (total ${total} s)`, false);
  }

  /** Ends the cell's line with its outcome. */
  end(summary: string): void {
    if (this.#tty) this.#out.write('\r\x1b[2K');
    this.#out.write(`${this.#label}  ${summary}\n`);
  }

  note(text: string): void {
    if (this.#tty) this.#out.write('\r\x1b[2K');
    this.#out.write(`${text}\n`);
  }

  #write(line: string, force: boolean): void {
    if (this.#tty) {
      this.#out.write(`\r\x1b[2K${line}`);
      return;
    }
    const now = performance.now();
    if (!force && now - this.#lastPrinted < 3000) return;
    this.#lastPrinted = now;
    this.#out.write(`${line}\n`);
  }
}
