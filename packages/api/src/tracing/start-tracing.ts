import { tracingConfigured } from '@mlapi/contracts';
import { NodeSDK } from '@opentelemetry/sdk-node';

/** A started OpenTelemetry SDK; shutdown() flushes the spans still buffered. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK when the OTEL_* environment configures an exporter, else
 * returns null and nothing is installed. The SDK reads every setting itself (endpoint,
 * OTEL_EXPORTER_OTLP_PROTOCOL including http/json, OTEL_TRACES_SAMPLER, batching...); only the
 * service name gets a default here. Metrics stay with Prometheus (/metrics) and logs with pino,
 * so the SDK exports traces only. Call before the app is built.
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
  return sdk;
}
