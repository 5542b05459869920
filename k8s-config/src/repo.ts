import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in k8s-config/src). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}

export function readRepoFile(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

/** Repo-relative path, for messages. */
export function fromRoot(path: string): string {
  return relative(REPO_ROOT, path);
}

/** Every file under `dir` (recursively) whose name passes `accept`, sorted. */
export function walk(dir: string, accept: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...walk(path, accept));
    else if (accept(entry)) out.push(path);
  }
  return out;
}

/** The models the repository ships: every folder under models/ holding a model.json. */
export function listModels(): string[] {
  const dir = repoPath('models');
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'model.json')))
    .sort();
}
