import { z } from 'zod';
import { TopicContract } from './topics';

/**
 * CloudEvents 1.0 over Kafka (the Kafka protocol binding). We write binary mode (attributes in `ce_` headers,
 * `data` as the JSON value); we read binary and structured mode (`content-type: application/cloudevents+json`).
 */
export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  datacontenttype?: string;
  /** Extension attribute carried through every app. */
  correlationid?: string;
  /** Extension: how many rule actions in a row led to this event (loop protection). */
  ruledepth?: number;
  /** Distributed tracing extension (W3C trace context): the span this event was produced in. */
  traceparent?: string;
  tracestate?: string;
  /** Extension attributes we don't know: kept and passed on with what the event leads to. */
  extensions?: Record<string, string>;
  data: T;
}

/** The attributes CloudEvents defines plus the extensions we use; any other is an unknown extension. */
const KNOWN_ATTRIBUTES = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'datacontenttype',
  'dataschema',
  'correlationid',
  'ruledepth',
  'traceparent',
  'tracestate',
  'data',
  'data_base64',
]);
/** Extension names: lower-case letters and digits, at most 20 characters (CloudEvents 1.0). */
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
const MAX_EXTENSIONS = 20;

export interface RawMessage {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export class InvalidMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidMessageError';
  }
}

const STRUCTURED = 'application/cloudevents+json';

/** The CloudEvents context attributes we read (structured mode's envelope, binary mode's `ce-*` headers). */
export const cloudEventAttributes = z.object({
  specversion: z.literal('1.0', { errorMap: () => ({ message: 'specversion must be "1.0"' }) }),
  id: z.string().min(1, 'id is required'),
  source: z.string().min(1, 'source is required'),
  type: z.string().min(1, 'type is required'),
  time: z.string().datetime({ offset: true }).optional(),
  subject: z.string().optional(),
  datacontenttype: z.string().optional(),
  correlationid: z.string().optional(),
  ruledepth: z.coerce.number().int().nonnegative().optional(),
  traceparent: z
    .string()
    .regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, 'traceparent must be a W3C trace context')
    .optional(),
  tracestate: z.string().max(512).optional(),
});

export function encodeCloudEvent(event: CloudEvent, key: string | null): RawMessage {
  const headers: Record<string, string> = {
    ce_specversion: '1.0',
    ce_id: event.id,
    ce_source: event.source,
    ce_type: event.type,
    'content-type': 'application/json',
  };
  if (event.time) headers.ce_time = event.time;
  if (event.subject) headers.ce_subject = event.subject;
  if (event.correlationid) headers.ce_correlationid = event.correlationid;
  if (event.ruledepth !== undefined) headers.ce_ruledepth = String(event.ruledepth);
  if (event.traceparent) headers.ce_traceparent = event.traceparent;
  if (event.tracestate) headers.ce_tracestate = event.tracestate;
  for (const [k, v] of Object.entries(event.extensions ?? {}))
    if (EXTENSION_NAME.test(k) && !KNOWN_ATTRIBUTES.has(k)) headers[`ce_${k}`] = v;
  return { key, value: Buffer.from(JSON.stringify(event.data)), headers };
}

/** Parses and validates a message against its topic's contract; throws InvalidMessageError with the reason. */
export function decodeCloudEvent<S extends z.ZodTypeAny>(
  contract: TopicContract<S>,
  msg: RawMessage,
): CloudEvent<z.infer<S>> {
  const contentType = (msg.headers['content-type'] ?? msg.headers['Content-Type'] ?? '').toLowerCase();
  let attrs: Record<string, unknown>;
  let data: unknown;
  if (contentType.startsWith(STRUCTURED)) {
    const body = parseJson(msg.value);
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new InvalidMessageError('structured CloudEvent must be a JSON object');
    const { data: d, data_base64, ...rest } = body as Record<string, unknown>;
    if (data_base64 !== undefined)
      throw new InvalidMessageError('data_base64 is not supported; send JSON data');
    attrs = rest;
    data = d;
  } else {
    attrs = {};
    for (const [k, v] of Object.entries(msg.headers)) if (k.startsWith('ce_')) attrs[k.slice(3)] = v;
    if (!attrs.specversion) {
      throw new InvalidMessageError(
        'not a CloudEvent: missing ce_specversion header (binary mode) and content-type is not application/cloudevents+json (structured mode)',
      );
    }
    if (contentType && !contentType.startsWith('application/json'))
      throw new InvalidMessageError(`unsupported content-type "${contentType}"; use application/json`);
    data = parseJson(msg.value);
  }
  const a = cloudEventAttributes.safeParse(attrs);
  if (!a.success) throw new InvalidMessageError(`CloudEvent attributes: ${formatIssues(a.error)}`);
  if (!contract.types.includes(a.data.type))
    throw new InvalidMessageError(
      `type "${a.data.type}" is not accepted on ${contract.name} (expected ${contract.types.join(' or ')})`,
    );
  const d = contract.schema.safeParse(data);
  if (!d.success) throw new InvalidMessageError(`data: ${formatIssues(d.error)}`);
  const extensions = extensionsOf(attrs);
  return {
    ...a.data,
    specversion: '1.0',
    ...(Object.keys(extensions).length ? { extensions } : {}),
    data: d.data as z.infer<S>,
  };
}

/** Unknown extension attributes, as strings (structured mode may carry booleans and integers). */
function extensionsOf(attrs: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (KNOWN_ATTRIBUTES.has(k)) continue;
    if (!EXTENSION_NAME.test(k))
      throw new InvalidMessageError(
        `extension attribute "${k}": names are lower-case letters and digits, at most 20`,
      );
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new InvalidMessageError(`extension attribute "${k}" must be a string, integer or boolean`);
    out[k] = String(v);
    if (Object.keys(out).length > MAX_EXTENSIONS)
      throw new InvalidMessageError(`more than ${MAX_EXTENSIONS} extension attributes`);
  }
  return out;
}

export function formatIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

function parseJson(value: Buffer | null): unknown {
  if (!value || value.length === 0) throw new InvalidMessageError('empty message value');
  try {
    return JSON.parse(value.toString('utf8'));
  } catch (e) {
    throw new InvalidMessageError(`value is not valid JSON: ${(e as Error).message}`);
  }
}
