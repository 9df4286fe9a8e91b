import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { resolve } from 'node:path';

export interface StubRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  /** When the request arrived and when it was answered (ms since the epoch). */
  receivedAt: number;
  answeredAt?: number;
}

type Responder = (
  req: StubRequest,
  n: number,
) => { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number };

const SPEC_DIR = resolve(__dirname, '../../../shared/specs');

/** Validates a mail-send body against SendGrid's own OpenAPI document (shared/specs). */
export function sendGridMailSendValidator(): (body: unknown) => string[] {
  const spec = JSON.parse(readFileSync(resolve(SPEC_DIR, 'sendgrid_mail_v3.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'sendgrid-mail', components: spec.components }, 'sendgrid-mail');
  const validate = ajv.compile({
    $ref: 'sendgrid-mail#/components/requestBodies/PostMailSend/content/application~1json/schema',
  });
  return (body) =>
    validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** A local SendGrid v3 API: records what the real @sendgrid/mail client sends, answers like SendGrid. */
export class SendGridStub {
  readonly requests: StubRequest[] = [];
  private server?: Server;
  private responder: Responder = () => ({ status: 202 });
  url = '';

  respondWith(r: Responder) {
    this.responder = r;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`;
    return this;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const r: StubRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {},
      receivedAt: Date.now(),
    };
    this.requests.push(r);
    const n = this.requests.length;
    const out = this.responder(r, n);
    if (out.delayMs) await new Promise((d) => setTimeout(d, out.delayMs));
    r.answeredAt = Date.now();
    res.writeHead(out.status, {
      'content-type': 'application/json',
      'x-message-id': `stubmsg${n}`,
      ...out.headers,
    });
    res.end(out.body === undefined ? '' : JSON.stringify(out.body));
  }

  async close() {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** Signs SendGrid event-webhook posts the way SendGrid does (ECDSA P-256 over timestamp + raw body). */
export class SendGridWebhookSigner {
  readonly publicKeyBase64: string;
  private readonly privateKey: KeyObject;

  /** `now`: the clock the gateway under test reads (its timestamp window is checked against it). */
  constructor(private readonly now: () => Date = () => new Date()) {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.privateKey = privateKey;
    this.publicKeyBase64 = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  }

  sign(body: string, timestamp = String(Math.floor(this.now().getTime() / 1000))) {
    const signature = sign('sha256', Buffer.from(timestamp + body), {
      key: this.privateKey,
      dsaEncoding: 'der',
    });
    return {
      'X-Twilio-Email-Event-Webhook-Signature': signature.toString('base64'),
      'X-Twilio-Email-Event-Webhook-Timestamp': timestamp,
    };
  }
}
