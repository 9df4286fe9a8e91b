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
  data: T;
}

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
  return { ...a.data, specversion: '1.0', data: d.data as z.infer<S> };
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
