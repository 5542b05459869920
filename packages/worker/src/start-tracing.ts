import { startTracing as startSdk } from '@mlapi/contracts';
import { type Tracer, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';

/** The instrumentation scope of the worker's spans. */
export const WORKER_TRACER = 'mlapi-worker';

/** A started OpenTelemetry SDK and the worker's tracer; shutdown() flushes buffered spans. */
export interface Tracing {
  readonly tracer: Tracer;
  shutdown(): Promise<void>;
}

/**
 * The SDK set-up shared with the gateway (startTracing in @mlapi/contracts: traces only, no
 * context manager), plus the tracer the worker's spans come from; null when the OTEL_*
 * environment configures no exporter.
 */
export function startTracing(
  env: Readonly<Record<string, string | undefined>>,
  defaultServiceName: string,
): Tracing | null {
  const sdk = startSdk(env, defaultServiceName, (options) => new NodeSDK(options));
  if (sdk === null) return null;
  return { tracer: trace.getTracer(WORKER_TRACER), shutdown: () => sdk.shutdown() };
}
