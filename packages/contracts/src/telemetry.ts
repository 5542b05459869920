/**
 * Tracing is configured only through OpenTelemetry's own environment variables (DESIGN.md); the
 * SDK reads them itself. This module decides what the SDK does not: whether to start it at all,
 * and what the gateway and the workers both leave out of it. Tracing stays off (no SDK, no
 * instrumentation, no cost) unless an exporter is configured.
 */

/** OTEL_EXPORTER_OTLP_PROTOCOL values the Node SDK understands. */
export const OTLP_PROTOCOLS = ['http/json', 'http/protobuf', 'grpc'] as const;

/** OTEL_TRACES_SAMPLER values the Node SDK understands (head sampling). */
export const TRACES_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

type Env = Readonly<Record<string, string | undefined>>;

/** A bad OTEL_* variable: its name and what is wrong with it. */
export interface TelemetryProblem {
  readonly variable: string;
  readonly message: string;
}

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

/**
 * The first OTEL_* variable the SDK would silently ignore or misread, or null. The SDK falls
 * back to defaults on a typo ("http-json"), which would leave an operator without traces and
 * without a clue; we refuse to start instead.
 */
export function telemetryProblem(env: Env): TelemetryProblem | null {
  for (const name of ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']) {
    const protocol = value(env, name);
    if (protocol !== undefined && !(OTLP_PROTOCOLS as readonly string[]).includes(protocol)) {
      return { variable: name, message: `expected one of ${OTLP_PROTOCOLS.join(', ')}` };
    }
  }
  const sampler = value(env, 'OTEL_TRACES_SAMPLER');
  if (sampler !== undefined && !(TRACES_SAMPLERS as readonly string[]).includes(sampler)) {
    return {
      variable: 'OTEL_TRACES_SAMPLER',
      message: `expected one of ${TRACES_SAMPLERS.join(', ')}`,
    };
  }
  const ratio = value(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (ratio !== undefined && sampler?.endsWith('traceidratio') === true) {
    const n = Number(ratio);
    if (!Number.isFinite(n) || n < 0 || n > 1) {
      return { variable: 'OTEL_TRACES_SAMPLER_ARG', message: 'expected a ratio in [0, 1]' };
    }
  }
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
    const url = value(env, name);
    if (url !== undefined && !URL.canParse(url)) {
      return { variable: name, message: 'not a valid URL' };
    }
  }
  return null;
}

/**
 * Whether to start the SDK: an OTLP endpoint is set (or OTEL_TRACES_EXPORTER names an exporter
 * other than none), and OTEL_SDK_DISABLED is not true.
 */
export function tracingConfigured(env: Env): boolean {
  if (value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return false;
  const exporter = value(env, 'OTEL_TRACES_EXPORTER');
  if (exporter === 'none') return false;
  return (
    exporter !== undefined ||
    value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined ||
    value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined
  );
}

/**
 * What the gateway and the workers give the OpenTelemetry `NodeSDK` constructor. Typed here,
 * where @opentelemetry/sdk-node is not a dependency, so that this package stays free of it.
 */
export interface TracingSdkOptions {
  serviceName?: string;
  metricReaders: never[];
  logRecordProcessors: never[];
  /**
   * Always null: "do not register one" (sdk-node 0.222, `setupContextManager` in
   * build/src/utils.js). Typed `never` because that version's `NodeSDKConfiguration` names only
   * `ContextManager`, not the null its code accepts.
   */
  contextManager: never;
}

/** The part of a `NodeSDK` startTracing uses. */
export interface TracingSdk {
  start(): void;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK that `createSdk` builds (`(options) => new NodeSDK(options)`)
 * when the OTEL_* environment configures an exporter, else returns null and nothing is installed.
 * The SDK reads every setting itself (endpoint, OTEL_EXPORTER_OTLP_PROTOCOL including http/json,
 * OTEL_TRACES_SAMPLER, batching...); only the service name gets a default here. Metrics stay
 * with Prometheus and logs with pino, so the SDK exports traces only. Call before the app (or
 * the worker) is built, so instrumentation finds the SDK's tracer provider.
 *
 * No context manager is installed. The SDK's default, AsyncLocalStorage, turns on async_hooks
 * promise hooks on Node 20 (which has no AsyncContextFrame), and they then run for every promise
 * of the process, traced or not: a fixed cost per request that sampling cannot remove. Every
 * span of ours names its parent instead (the request's context, read from
 * `request.opentelemetry()` on the gateway; the message's traceparent on a worker), so
 * `context.active()` is always the root context and nothing may rely on it.
 */
export function startTracing<S extends TracingSdk>(
  env: Env,
  defaultServiceName: string,
  createSdk: (options: TracingSdkOptions) => S,
): S | null {
  if (!tracingConfigured(env)) return null;
  const sdk = createSdk({
    ...(env.OTEL_SERVICE_NAME === undefined ? { serviceName: defaultServiceName } : {}),
    metricReaders: [],
    logRecordProcessors: [],
    contextManager: null as never,
  });
  sdk.start();
  return sdk;
}
