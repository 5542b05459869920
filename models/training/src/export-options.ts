import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isModelVersion, MODEL_VERSION_PATTERN } from '@mlapi/contracts';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import type { ModelName } from './models.js';
import { MODEL_NAMES } from './models.js';

export interface ExportOptions {
  /** Where `<name>/model.onnx`, `<name>/model.json` and `reference.json` go. Default: the repo's `models/`. */
  outDir?: string;
  /** The iris CSV. Default: this package's `data/iris.csv`. */
  dataPath?: string;
  /** Seeds the split and every model's initialisation and shuffling. Default 20240229. */
  seed?: number;
  /**
   * The `version` written to each manifest. Default "1". A new version, trained from another
   * seed into its own `outDir`, gives different answers and a different sha256.
   */
  version?: string;
  /** Share of each class held out for accuracy and the reference set. Default 0.3. */
  testFraction?: number;
  /** Export fails with LOW_ACCURACY below this held-out accuracy. Default 0.9. */
  minAccuracy?: number;
  /** Which models to export. Default: all three. */
  models?: readonly ModelName[];
  /** Progress goes to `info`. Default null (silent). */
  logger?: Logger | null;
}

export interface NormalizedExportOptions {
  readonly outDir: string;
  readonly dataPath: string;
  readonly seed: number;
  readonly version: string;
  readonly testFraction: number;
  readonly minAccuracy: number;
  readonly models: readonly ModelName[];
  readonly logger: Logger;
}

// src/ and dist/ sit at the same depth, so these resolve the same from either.
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

export const DEFAULT_OPTIONS = Object.freeze({
  outDir: join(PACKAGE_DIR, '..'),
  dataPath: join(PACKAGE_DIR, 'data', 'iris.csv'),
  seed: 20240229,
  version: '1',
  testFraction: 0.3,
  minAccuracy: 0.9,
  models: MODEL_NAMES,
  logger: null,
} satisfies Required<ExportOptions>);

export function normalizeOptions(options: ExportOptions = {}): NormalizedExportOptions {
  const o = { ...DEFAULT_OPTIONS, ...options };
  if (typeof o.outDir !== 'string' || o.outDir === '') {
    throw new TypeError('outDir must be a non-empty string');
  }
  if (typeof o.dataPath !== 'string' || o.dataPath === '') {
    throw new TypeError('dataPath must be a non-empty string');
  }
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) {
    throw new TypeError('seed must be an integer in [0, 2^32)');
  }
  if (!isModelVersion(o.version)) {
    throw new TypeError(`version must match ${MODEL_VERSION_PATTERN}`);
  }
  if (typeof o.testFraction !== 'number' || !(o.testFraction > 0 && o.testFraction < 1)) {
    throw new TypeError('testFraction must be a number strictly between 0 and 1');
  }
  if (typeof o.minAccuracy !== 'number' || !(o.minAccuracy >= 0 && o.minAccuracy <= 1)) {
    throw new TypeError('minAccuracy must be a number in [0, 1]');
  }
  const known = new Set<string>(MODEL_NAMES);
  if (
    !Array.isArray(o.models) ||
    o.models.length === 0 ||
    o.models.some((m) => !known.has(m)) ||
    new Set(o.models).size !== o.models.length
  ) {
    throw new TypeError(`models must be a non-empty list of distinct names from ${MODEL_NAMES}`);
  }
  if (o.logger !== null && typeof o.logger?.info !== 'function') {
    throw new TypeError('logger must be null or have info/debug/warn/error methods');
  }
  return { ...o, logger: o.logger ?? silentLogger };
}
