#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { exportModels } from './export-models.js';
import type { Logger } from './logger.js';

// Progress for a person at a terminal: the message, then the fields that matter.
const print = (obj: object, msg?: string) => {
  const fields = Object.entries(obj)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
  console.log(`${msg ?? ''}  ${fields}`);
};
const logger: Logger = { debug: () => {}, info: print, warn: print, error: print };

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const started = Date.now();
try {
  const result = await exportModels({ logger, ...(values.out ? { outDir: values.out } : {}) });
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
