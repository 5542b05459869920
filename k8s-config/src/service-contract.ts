import { existsSync } from 'node:fs';
import ts from 'typescript';
import { readRepoFile, repoPath, walk } from './repo.js';

/** What the manifests must agree with in one service's source. */
export interface ServiceContract {
  /** Environment variables its config.ts reads. */
  env: Set<string>;
  /** Every string literal in its source that looks like a URL path ('/health/live', ...). */
  paths: Set<string>;
  /** Prometheus metric names it registers, with a histogram's _bucket/_sum/_count series. */
  metrics: Set<string>;
}

export const SERVICES = {
  api: 'packages/api',
  worker: 'packages/worker',
} as const;
export type ServiceName = keyof typeof SERVICES;

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readRepoFile(file), ts.ScriptTarget.ES2022, true);
}

function visit(node: ts.Node, fn: (node: ts.Node) => void): void {
  fn(node);
  ts.forEachChild(node, (child) => visit(child, fn));
}

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
const isEnv = (e: ts.Expression): boolean => /(^|\.)env$/.test(e.getText());

/**
 * The variables a config.ts reads: `env.X`, `env['X']`, `process.env.X`, and a literal 'X' passed
 * as an argument right after `env` (the helper style both services use: `int(env, 'PORT', ...)`).
 */
export function envVarsRead(file: string): Set<string> {
  const names = new Set<string>();
  visit(parse(file), (node) => {
    if (ts.isPropertyAccessExpression(node) && isEnv(node.expression)) {
      if (ENV_NAME.test(node.name.text)) names.add(node.name.text);
    } else if (ts.isElementAccessExpression(node) && isEnv(node.expression)) {
      const arg = node.argumentExpression;
      if (ts.isStringLiteral(arg) && ENV_NAME.test(arg.text)) names.add(arg.text);
    } else if (ts.isCallExpression(node)) {
      node.arguments.forEach((arg, i) => {
        const prev = node.arguments[i - 1];
        if (prev && isEnv(prev) && ts.isStringLiteral(arg) && ENV_NAME.test(arg.text)) {
          names.add(arg.text);
        }
      });
    }
  });
  return names;
}

function sourceFiles(dir: string): string[] {
  return walk(repoPath(dir, 'src'), (n) => n.endsWith('.ts') && !n.endsWith('.d.ts')).map((f) =>
    f.slice(repoPath().length + 1),
  );
}

function stringLiterals(file: string): string[] {
  const out: string[] = [];
  visit(parse(file), (node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push(node.text);
  });
  return out;
}

/** Names given to `new Counter|Gauge|Histogram|Summary({ name: '...' })`, plus default metrics. */
function metricsRegistered(file: string): Set<string> {
  const names = new Set<string>();
  visit(parse(file), (node) => {
    if (ts.isCallExpression(node) && node.expression.getText() === 'collectDefaultMetrics') {
      names.add('process_cpu_seconds_total');
      names.add('process_resident_memory_bytes');
      names.add('nodejs_eventloop_lag_seconds');
    }
    if (!ts.isNewExpression(node)) return;
    const kind = node.expression.getText();
    if (!['Counter', 'Gauge', 'Histogram', 'Summary'].includes(kind)) return;
    const options = node.arguments?.[0];
    if (!options || !ts.isObjectLiteralExpression(options)) return;
    for (const prop of options.properties) {
      if (
        ts.isPropertyAssignment(prop) &&
        prop.name.getText() === 'name' &&
        ts.isStringLiteral(prop.initializer)
      ) {
        const name = prop.initializer.text;
        names.add(name);
        if (kind === 'Histogram' || kind === 'Summary') {
          for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
        }
      }
    }
  });
  return names;
}

/** Reads one service's contract from its source; throws if its config.ts does not exist yet. */
export function serviceContract(service: ServiceName): ServiceContract {
  const dir = SERVICES[service];
  const config = `${dir}/src/config.ts`;
  if (!existsSync(repoPath(config))) throw new Error(`${config} does not exist`);
  const files = sourceFiles(dir);
  return {
    env: envVarsRead(config),
    paths: new Set(files.flatMap(stringLiterals).filter((s) => /^\/[\w\-/.]*$/.test(s))),
    metrics: new Set(files.flatMap((f) => [...metricsRegistered(f)])),
  };
}
