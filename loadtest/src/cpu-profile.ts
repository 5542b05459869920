import { readFileSync } from 'node:fs';
import { BenchError } from './errors.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTimeEntry {
  /** "functionName url:line", or "(garbage collector)" and the like. */
  frame: string;
  selfMs: number;
  /** Share of all sampled time, idle included. */
  percent: number;
  /** Share of the non-idle time: what the process spent working. */
  busyPercent: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  top: SelfTimeEntry[];
  /** Self time grouped by who owns the code: an npm package, a workspace package, node, V8. */
  byOwner: SelfTimeEntry[];
}

/**
 * The owner of a frame: `amqplib`, `packages/api`, `node` (its own JS), or for frames with no
 * script, `native` (syscalls such as writev, C++ builtins) or V8's own `(garbage collector)`
 * and `(program)`.
 */
export function frameOwner(node: Pick<ProfileNode, 'callFrame'>): string {
  const { functionName, url } = node.callFrame;
  if (url === '') return functionName.startsWith('(') ? functionName : 'native';
  if (url.startsWith('node:')) return 'node';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(url);
  if (pkg?.[1] !== undefined) return pkg[1];
  const ws = /\/(packages\/[^/]+|loadtest|models\/[^/]+)\//.exec(url);
  return ws?.[1] ?? url;
}

function frameName(node: ProfileNode, root: string): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  if (url === '') return name;
  const short = url
    .replace(/^file:\/\//, '')
    .replace(root, '')
    .replace(/^.*\/node_modules\//, '');
  return `${name} ${short}:${lineNumber + 1}`;
}

/**
 * Self time per function from a V8 .cpuprofile (as `node --cpu-prof` writes): each sample's
 * time delta is charged to the node it landed in, then merged by function and location.
 */
export function summarizeProfile(profile: CpuProfile, top = 15, root = ''): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  const ownerUs = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i] as number);
    // timeDeltas[i] is the time before sample i; charge the following delta to this sample.
    const dt = Math.max(0, profile.timeDeltas[i + 1] ?? 0);
    if (node === undefined) continue;
    totalUs += dt;
    const name = frameName(node, root);
    if (name === '(idle)') idleUs += dt;
    selfUs.set(name, (selfUs.get(name) ?? 0) + dt);
    const owner = frameOwner(node);
    ownerUs.set(owner, (ownerUs.get(owner) ?? 0) + dt);
  }
  const busyUs = totalUs - idleUs;
  const rank = (map: Map<string, number>) =>
    [...map.entries()]
      .filter(([name]) => name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, us]) => ({
        frame,
        selfMs: Math.round(us / 100) / 10,
        percent: totalUs > 0 ? Math.round((us / totalUs) * 1000) / 10 : 0,
        busyPercent: busyUs > 0 ? Math.round((us / busyUs) * 1000) / 10 : 0,
      }));
  return {
    totalMs: Math.round(totalUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    top: rank(selfUs),
    byOwner: rank(ownerUs),
  };
}

export function readProfile(path: string): CpuProfile {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
    if (!Array.isArray(parsed.nodes) || !Array.isArray(parsed.samples))
      throw new Error('no samples');
    return parsed;
  } catch (err) {
    throw new BenchError('BENCH_PROFILE', `cannot read CPU profile ${path}`, { cause: err });
  }
}
