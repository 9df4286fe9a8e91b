import { INestApplication, Type } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig, Clock, loadConfig } from '@fg/common';
import { createApp, initApp } from '@fg/platform';
import { GatewayModule } from '@fg/gateway';
import { LinkIssuerModule } from '@fg/link-issuer';
import { RulesModule } from '@fg/rules';
import { SenderEmailModule } from '@fg/sender-email';
import { SenderSmsModule } from '@fg/sender-sms';
import { SenderWhatsappModule } from '@fg/sender-whatsapp';
import { ResponseConformance } from './openapi-conformance';

export const ALL_APPS: Record<string, Type<unknown>> = {
  gateway: GatewayModule,
  rules: RulesModule,
  'link-issuer': LinkIssuerModule,
  'sender-email': SenderEmailModule,
  'sender-sms': SenderSmsModule,
  'sender-whatsapp': SenderWhatsappModule,
};

/** Configuration for one test file: its own topic prefix (and so its own topics and consumer groups). */
export function testConfig(env: Record<string, string | undefined> = {}): AppConfig {
  return loadConfig(
    {
      ...process.env,
      KAFKA_TOPIC_PREFIX: `t${randomBytes(4).toString('hex')}.`,
      KAFKA_PARTITIONS: '3',
      PUBLIC_BASE_URL: 'https://surveys.example.test',
      LINK_SIGNING_SECRET: randomBytes(32).toString('base64url'),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
      OUTBOX_POLL_MS: '50',
      RULES_TIMER_POLL_MS: '100',
      CONSUMER_MAX_RETRIES: '1',
      DATABASE_POOL_SIZE: '4',
      ...env,
    },
    { kafka: true },
  );
}

/** Each app as its own Nest application (own consumer group, own outbox relay), like separate processes. */
export class Pipeline {
  readonly apps = new Map<string, INestApplication>();
  /** The gateway's answers checked against its OpenAPI document (asserted after each test file). */
  conformance?: ResponseConformance;

  constructor(
    readonly config: AppConfig,
    private readonly clock?: Clock,
  ) {}

  async start(names = Object.keys(ALL_APPS)): Promise<this> {
    for (const name of names) await this.startApp(name);
    return this;
  }

  async startApp(name: string): Promise<INestApplication> {
    const app = await createApp({
      app: name,
      config: this.config,
      features: [ALL_APPS[name]],
      clock: this.clock,
      openapi: name === 'gateway',
      logger: process.env.TEST_LOG_LEVEL ? undefined : false,
    });
    if (name === 'gateway') {
      this.conformance = new ResponseConformance(app);
      app.use(this.conformance.middleware());
    }
    await initApp(app);
    this.apps.set(name, app);
    return app;
  }

  async stopApp(name: string) {
    await this.apps.get(name)?.close();
    this.apps.delete(name);
  }

  get gateway() {
    return this.apps.get('gateway')!.getHttpServer() as import('http').Server;
  }

  get ds(): DataSource {
    return this.apps.values().next().value!.get(DataSource);
  }

  async close() {
    for (const name of [...this.apps.keys()].reverse()) await this.stopApp(name);
  }
}

export interface Fixture {
  surveyId: string;
  distributionId: string;
  ruleId: string;
}

/** A survey, an email distribution with an English template, and the "invite on Resolved" rule. */
export async function seedSurveyFixture(
  ds: DataSource,
  o: { html?: string; text?: string; subject?: string; fromEmail?: string | null } = {},
): Promise<Fixture> {
  const f = { surveyId: randomUUID(), distributionId: randomUUID(), ruleId: randomUUID() };
  await ds.query(`INSERT INTO surveys (id, name, questions) VALUES ($1, 'CSAT', $2::jsonb)`, [
    f.surveyId,
    JSON.stringify([{ id: 'nps', type: 'nps', label: { en: 'How likely are you to recommend us?' } }]),
  ]);
  await ds.query(
    `INSERT INTO distributions (id, survey_id, name, status, expiry, accounts, tags)
     VALUES ($1, $2, 'Resolved', 'active', '{"mode":"dynamic","amount":7,"unit":"days"}', $3::jsonb, '{"program":"csat"}')`,
    [
      f.distributionId,
      f.surveyId,
      JSON.stringify(
        o.fromEmail === null
          ? {}
          : { email: { fromEmail: o.fromEmail ?? 'surveys@acme.test', fromName: 'Acme' } },
      ),
    ],
  );
  await ds.query(
    `INSERT INTO templates (id, distribution_id, channel, kind, language, subject, html, text)
     VALUES ($1, $2, 'email', 'invitation', 'en', $3, $4, $5)`,
    [
      randomUUID(),
      f.distributionId,
      o.subject ?? 'About case {{case_number}}',
      o.html ?? '<p>Hi {{customer_name}}, tell us how we did: <a href="{{survey_link}}">survey</a></p>',
      o.text ?? 'Hi {{customer_name}}, tell us how we did: {{survey_link}}',
    ],
  );
  await ds.query(
    `INSERT INTO rules (id, name, trigger, conditions, actions) VALUES ($1, 'invite on resolved', 'case.updated', $2::jsonb, $3::jsonb)`,
    [
      f.ruleId,
      JSON.stringify({
        all: [
          { field: 'status', op: 'changed_to', value: 'Resolved' },
          { field: 'custom.program', op: 'equals', value: f.distributionId },
        ],
      }),
      JSON.stringify([
        {
          type: 'send_invitation',
          distributionId: f.distributionId,
          channel: 'email',
          linkField: 'survey_link',
        },
      ]),
    ],
  );
  return f;
}

/** A structured-mode CloudEvent for a case that became Resolved. `custom.program` scopes it to one fixture. */
export function resolvedCaseEvent(
  f: Fixture,
  caseId: string,
  id: string = randomUUID(),
  extra: Record<string, unknown> = {},
) {
  return {
    key: caseId,
    value: JSON.stringify({
      specversion: '1.0',
      id,
      source: 'crm-test',
      type: 'case.updated',
      time: new Date().toISOString(),
      data: {
        caseId,
        caseNumber: caseId.slice(0, 8),
        fields: { status: 'Resolved', priority: 'High' },
        customFields: { program: f.distributionId },
        contact: { id: `c-${caseId}`, name: 'Grace Hopper', email: 'grace@example.com', language: 'en' },
        previous: { status: 'Open' },
        ...extra,
      },
    }),
    headers: { 'content-type': 'application/cloudevents+json' },
  };
}
