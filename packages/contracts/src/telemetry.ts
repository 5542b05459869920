/**
 * Tracing is configured only through OpenTelemetry's own environment variables (DESIGN.md); the
 * SDK reads them itself. This module decides one thing the SDK does not: whether to start it at
 * all. Tracing stays off (no SDK, no instrumentation, no cost) unless an exporter is configured.
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
