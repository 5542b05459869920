import { type Context, context, trace } from '@opentelemetry/api';

/**
 * The active context when its span is being recorded (sampled), else null: an unsampled
 * request then costs no span objects, attributes or header injection at all. A message sent
 * without a traceparent makes no spans on the worker either (its spans only continue ours).
 */
export function recordingContext(): Context | null {
  const active = context.active();
  return trace.getSpan(active)?.isRecording() === true ? active : null;
}
