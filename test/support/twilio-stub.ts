import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface TwilioRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The form the client posted (application/x-www-form-urlencoded), as Twilio receives it. */
  form: Record<string, string>;
  receivedAt: number;
}

type Answer =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  /** Cut the connection without answering; `created`: after Twilio took the message (the answer was lost). */
  | { hangUp: true; created: boolean }
  | undefined;
/** What to answer (undefined: Twilio's 201); a promise to do something before answering. */
type Responder = (req: TwilioRequest, n: number) => Answer | Promise<Answer>;

const SPEC = resolve(__dirname, '../../../shared/specs/twilio_api_v2010.json');
const MESSAGES = '/2010-04-01/Accounts/{AccountSid}/Messages.json';

/**
 * Validates a Create Message form against Twilio's own OpenAPI document (shared/specs), plus what the spec
 * can't say (its README): From or MessagingServiceSid, and Body, MediaUrl or ContentSid.
 */
export function twilioCreateMessageValidator(): (form: Record<string, string>) => string[] {
  const spec = JSON.parse(readFileSync(SPEC, 'utf8')) as {
    paths: Record<
      string,
      { post: { requestBody: { content: Record<string, { schema: Record<string, unknown> }> } } }
    >;
    components: Record<string, unknown>;
  };
  const schema = spec.paths[MESSAGES].post.requestBody.content['application/x-www-form-urlencoded'].schema;
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: true });
  addFormats(ajv);
  ajv.addFormat('phone-number', /^(whatsapp:)?\+[1-9]\d{6,14}$/);
  ajv.addSchema({ $id: 'twilio', components: spec.components }, 'twilio');
  const validate = ajv.compile({
    ...JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"twilio#/components/')),
    additionalProperties: false,
  });
  return (form) => {
    const errors = validate({ ...form })
      ? []
      : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    if (!form.From && !form.MessagingServiceSid) errors.push('From or MessagingServiceSid is required');
    if (!form.Body && !form.MediaUrl && !form.ContentSid)
      errors.push('Body, MediaUrl or ContentSid is required');
    return errors;
  };
}

/** A local Twilio REST API: records what the real `twilio` client sends, answers like Twilio. */
export class TwilioStub {
  readonly requests: TwilioRequest[] = [];
  private server?: Server;
  private responder: Responder = () => undefined;
  url = '';

  /** `now`: Twilio's clock (a test that moves time moves it for Twilio too). */
  constructor(private readonly now: () => Date = () => new Date()) {}

  respondWith(r: Responder) {
    this.responder = r;
  }

  /** Create Message calls (whatever the answer). */
  messages(pred: (r: TwilioRequest) => boolean = () => true) {
    return this.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json') && pred(r));
  }

  /** Messages Twilio took (answered 201, or created before the connection was cut), as its list shows them. */
  readonly created: { sid: string; to: string; body: string | null; date_created: string; at: number }[] = [];

  /** Messages Twilio took for a recipient. */
  accepted(to: string) {
    return this.created.filter((m) => m.to === to);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    return this;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const r: TwilioRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      form,
      receivedAt: Date.now(),
    };
    if (r.method === 'GET' && r.path.includes('/Messages.json')) return this.list(r, res);
    this.requests.push(r);
    const answer = await this.responder(r, this.requests.length);
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const take = () =>
      this.created.unshift({
        sid,
        to: form.To,
        body: form.Body ?? null,
        date_created: this.now().toUTCString(),
        at: Date.now(),
      });
    if (answer && 'hangUp' in answer) {
      if (answer.created) take();
      req.socket.destroy();
      return;
    }
    if (!answer || answer.status === 201) take();
    const out = answer ?? {
      status: 201,
      body: {
        sid,
        status: 'queued',
        to: form.To,
        from: form.From ?? null,
        body: form.Body ?? null,
        messaging_service_sid: form.MessagingServiceSid ?? null,
        num_segments: '1',
        direction: 'outbound-api',
        api_version: '2010-04-01',
      },
    };
    res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
    res.end(out.body === undefined ? '' : JSON.stringify(out.body));
  }

  /** Twilio's List Messages (newest first), filtered by To like the real API. */
  private list(req: TwilioRequest, res: ServerResponse) {
    const q = new URL(req.path, 'http://stub').searchParams;
    const to = q.get('To');
    const messages = this.created
      .filter((m) => !to || m.to === to)
      .map((m) => ({ ...m, status: 'queued', direction: 'outbound-api', api_version: '2010-04-01' }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        messages,
        page: 0,
        page_size: 50,
        first_page_uri: req.path,
        next_page_uri: null,
        previous_page_uri: null,
        uri: req.path,
        start: 0,
        end: messages.length,
      }),
    );
  }

  async close() {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** A Twilio error body (https://www.twilio.com/docs/api/errors). */
export const twilioError = (status: number, code: number, message: string) => ({
  status,
  body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
});
