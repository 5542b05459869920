import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  rabbitmq: string;
  redis: string;
  /** 1, 5 and 15-minute load averages when recorded. */
  loadavg: number[];
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return 'unknown';
  return r.stdout.trim().split('\n')[0] ?? 'unknown';
}

/** What the figures came from, recorded beside them. */
export function machineInfo(): MachineInfo {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    rabbitmq: firstLine('rabbitmqctl', ['version']),
    redis: firstLine('redis-server', ['--version']),
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
