import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Link,
} from '@opentelemetry/api';

/**
 * W3C trace context carried as the CloudEvents distributed-tracing extension (`traceparent`, `tracestate`), and
 * the extension attributes we don't know, passed on. Spans go through `@opentelemetry/api`: without an SDK (no
 * exporter configured, see telemetry.ts) they cost nothing, and an event's trace context is still passed on as
 * it came, so a caller's trace continues through us to whatever consumes our events.
 */
export interface EventTrace {
  traceparent?: string;
  tracestate?: string;
  extensions?: Record<string, string>;
}

const tracer = trace.getTracer('feedback-gateway');
const incoming = new AsyncLocalStorage<EventTrace>();

/** The context an event was produced in (ROOT when it carries none, or no propagator is registered). */
export function contextOf(e: EventTrace): Context {
  if (!e.traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, {
    traceparent: e.traceparent,
    ...(e.tracestate ? { tracestate: e.tracestate } : {}),
  });
}

/**
 * What an event produced now carries: the active span's context (the SDK's propagator), else the context of the
 * event being handled as it came; and the unknown extensions of the event being handled.
 */
export function outgoingTrace(): EventTrace {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const from = incoming.getStore();
  const traceparent = carrier.traceparent ?? from?.traceparent;
  const tracestate = carrier.traceparent ? carrier.tracestate : from?.tracestate;
  return {
    ...(traceparent ? { traceparent } : {}),
    ...(tracestate ? { tracestate } : {}),
    ...(from?.extensions ? { extensions: from.extensions } : {}),
  };
}

/** Runs `fn` in a span that continues the trace of `parent` (an event), with the event as the ambient one. */
export async function inSpan<T>(
  name: string,
  kind: SpanKind,
  parent: EventTrace | null,
  attributes: Attributes,
  fn: () => Promise<T>,
  links: Link[] = [],
): Promise<T> {
  const ctx = parent?.traceparent ? contextOf(parent) : context.active();
  const run = () =>
    tracer.startActiveSpan(name, { kind, attributes, links }, ctx, async (span) => {
      try {
        return await fn();
      } catch (e) {
        span.recordException(e as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
        throw e;
      } finally {
        span.end();
      }
    });
  return parent ? incoming.run(parent, run) : run();
}

/**
 * A consumer's batch: one span, child of the first event's context (the one a batch of one — the usual case at
 * low rates — continues), linked to the others'. Events produced while handling carry that context.
 */
export function inConsumerSpan<T>(topic: string, group: string, events: EventTrace[], fn: () => Promise<T>) {
  const links = events
    .slice(1)
    .map((e) => trace.getSpanContext(contextOf(e)))
    .filter((c) => c !== undefined)
    .map((c) => ({ context: c }));
  return inSpan(
    `process ${topic}`,
    SpanKind.CONSUMER,
    events[0] ?? null,
    {
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
      'messaging.consumer.group.name': group,
      'messaging.batch.message_count': events.length,
    },
    fn,
    links,
  );
}

/** `fn` bound to the current trace context and event: for work done later (after-commit effects). */
export function bound<T>(fn: () => Promise<T>): () => Promise<T> {
  const ctx = context.active();
  const event = incoming.getStore();
  return () => context.with(ctx, () => (event ? incoming.run(event, fn) : fn()));
}

export { SpanKind };
