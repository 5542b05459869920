#!/usr/bin/env node
import { startTracing } from '@mlapi/contracts';
import { redactUrl } from '@mlapi/rpc';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { createDeps, type OwnedDeps } from './deps.js';
import { createLogger } from './logger.js';
import { StateRedisNotDurableError } from './state/state-redis.js';

const RETRY_MAX_MS = 5000;

/** The only place that reads the real environment, listens, and handles signals. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mlapi-api: bad configuration: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config);
  // Before the app is built, so its instrumentation finds the SDK's tracer provider.
  const tracing = config.tracing
    ? startTracing(process.env, 'mlapi-api', (options) => new NodeSDK(options))
    : null;
  if (tracing !== null) logger.info('tracing on: exporting spans as the OTEL_* variables say');

  let stopping = false;
  let owned: OwnedDeps | null = null;
  let app: FastifyInstance | null = null;
  let wake: (() => void) | null = null;

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (app === null) {
      // Still waiting for the broker: the start-up loop sees `stopping` and closes what it has.
      logger.info({ signal }, 'stopping before start-up finished');
      wake?.();
      return;
    }
    logger.info({ signal }, 'draining: readiness is 503; finishing in-flight requests');
    // If in-flight work cannot finish within the grace period, leave anyway: Kubernetes would
    // SIGKILL us soon after, and an exit code saying so is more useful than a hang.
    const force = setTimeout(() => {
      logger.error({ graceMs: config.shutdownGraceMs }, 'shutdown grace period over; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    try {
      app.mlapi.state.draining = true;
      await app.close(); // stops accepting, lets in-flight requests finish
      await owned?.close();
      // Flushes the spans still buffered, the last requests' included.
      await tracing?.shutdown();
      logger.info('stopped');
      process.exitCode = 0;
    } catch (err) {
      logger.error({ err }, 'error while stopping');
      process.exitCode = 1;
    }
    clearTimeout(force);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  // The broker may start after us (a fresh cluster, a local `pnpm start`): keep trying, with
  // backoff, before taking traffic. Each attempt gets fresh clients.
  let delay = 200;
  while (!stopping) {
    const attempt = createDeps(config, logger);
    try {
      await attempt.start();
      owned = attempt;
      break;
    } catch (err) {
      await attempt.close();
      if (err instanceof StateRedisNotDurableError) {
        // Not a passing outage: retrying cannot fix a Redis configured to evict.
        logger.fatal({ err, setting: err.setting, policy: err.policy }, 'refusing to start');
        process.stderr.write(`mlapi-api: refusing to start: ${err.message}\n`);
        process.exit(1);
      }
      logger.warn(
        { err, amqpUrl: redactUrl(config.amqpUrl), retryInMs: delay },
        'broker or state Redis unreachable; retrying',
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }
  if (stopping || owned === null) {
    await owned?.close(); // a signal came while the last attempt was connecting
    return;
  }

  app = await buildApp(config, owned.deps);
  const address = await app.listen({ port: config.port, host: config.host });
  logger.info({ address }, 'mlapi-api listening');
}

main().catch((err: unknown) => {
  process.stderr.write(
    `mlapi-api: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
