import { readdirSync, readFileSync } from 'node:fs';

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream kernel config.
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far; null when it is gone or not Linux. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after its closing paren are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime)
      ? (utime + stime) / TICKS_PER_SECOND
      : null;
  } catch {
    return null;
  }
}

/** The pids of processes whose command name (comm) is exactly `comm`. */
export function pidsByComm(comm: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/**
 * CPU use of named processes over an interval: start() snapshots, stop() returns each name's
 * share of one core in percent, to 0.1 (100 = one core busy throughout).
 */
export class CpuMeter {
  readonly #pids: Readonly<Record<string, readonly number[]>>;
  #start = new Map<string, number>();
  #startedAt = 0;

  constructor(pids: Readonly<Record<string, readonly number[]>>) {
    this.#pids = pids;
  }

  start(): void {
    this.#startedAt = performance.now();
    this.#start = this.#sample();
  }

  stop(): Record<string, number> {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const end = this.#sample();
    const out: Record<string, number> = {};
    for (const [name, cpu] of end) {
      const before = this.#start.get(name);
      if (before === undefined || seconds <= 0) continue;
      out[name] = Math.round(((cpu - before) / seconds) * 1000) / 10;
    }
    return out;
  }

  #sample(): Map<string, number> {
    const m = new Map<string, number>();
    for (const [name, pids] of Object.entries(this.#pids)) {
      let total = 0;
      let seen = false;
      for (const pid of pids) {
        const s = cpuSeconds(pid);
        if (s !== null) {
          total += s;
          seen = true;
        }
      }
      if (seen) m.set(name, total);
    }
    return m;
  }
}
