import { tracingConfigured } from '@mlapi/contracts';
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
 * Starts the OpenTelemetry Node SDK when the OTEL_* environment configures an exporter, else
 * returns null and nothing is installed. The SDK reads every setting itself (endpoint,
 * OTEL_EXPORTER_OTLP_PROTOCOL including http/json, OTEL_TRACES_SAMPLER, batching...); only the
 * service name gets a default here. Metrics stay with Prometheus and logs with pino.
 */
export function startTracing(
  env: Readonly<Record<string, string | undefined>>,
  defaultServiceName: string,
): Tracing | null {
  if (!tracingConfigured(env)) return null;
  const sdk = new NodeSDK({
    ...(env.OTEL_SERVICE_NAME === undefined ? { serviceName: defaultServiceName } : {}),
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return { tracer: trace.getTracer(WORKER_TRACER), shutdown: () => sdk.shutdown() };
}
