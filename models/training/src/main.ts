#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { exportModels } from './export-models.js';
import type { Logger } from './logger.js';
import type { ModelName } from './models.js';

// Progress for a person at a terminal: the message, then the fields that matter.
const print = (obj: object, msg?: string) => {
  const fields = Object.entries(obj)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
  console.log(`${msg ?? ''}  ${fields}`);
};
const logger: Logger = { debug: () => {}, info: print, warn: print, error: print };

// `pnpm models:build -- --version 2` passes the `--` through; it is not an argument.
const args = process.argv.slice(2);
if (args[0] === '--') args.shift();
const { values } = parseArgs({
  args,
  options: {
    out: { type: 'string' },
    version: { type: 'string' },
    seed: { type: 'string' },
    model: { type: 'string', multiple: true },
  },
});
const started = Date.now();
try {
  if (values.seed !== undefined && !/^\d+$/.test(values.seed)) {
    throw new TypeError(`--seed must be a whole number, got ${values.seed}`);
  }
  const result = await exportModels({
    logger,
    ...(values.out ? { outDir: values.out } : {}),
    ...(values.version !== undefined ? { version: values.version } : {}),
    ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
    ...(values.model !== undefined ? { models: values.model as ModelName[] } : {}),
  });
  for (const { manifest } of result.models) {
    console.log(
      `${manifest.name.padEnd(12)} accuracy ${manifest.accuracy}  parameters ${manifest.parameters}  FLOPs/row ${manifest.flopsPerRow}`,
    );
  }
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  console.error(
    err instanceof Error ? `${(err as { code?: string }).code ?? 'ERROR'}: ${err.message}` : err,
  );
  process.exitCode = 1;
}
