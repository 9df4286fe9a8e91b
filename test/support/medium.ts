import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { OutboxRelay, OutboxService, TopicNames, UnitOfWork } from '@fg/messaging';
import { dataSourceOptions } from '@fg/persistence';

/** The medium tests' database (created by test/setup/medium-setup.ts), with a pool for concurrency tests. */
export async function mediumDataSource(poolSize = 8): Promise<DataSource> {
  const url = process.env.FG_MEDIUM_DATABASE_URL;
  if (!url)
    throw new Error('FG_MEDIUM_DATABASE_URL is unset: run medium tests through jest (selectProjects medium)');
  const ds = new DataSource(dataSourceOptions(url, poolSize));
  return ds.initialize();
}

/** The real outbox writer (rows land in the `outbox` table), without a relay. */
export function outboxFor(ds: DataSource): OutboxService {
  return new OutboxService(
    { app: 'medium', topicPrefix: '', maxRetries: 1, outboxPollMs: 1000, inboxRetentionHours: 1 },
    new TopicNames(''),
    ds,
  );
}

/** The real unit of work over that outbox; there is no relay to wake in a medium test. */
export function unitOfWorkFor(ds: DataSource, outbox: OutboxService): UnitOfWork {
  return new UnitOfWork(ds, outbox, { handOff: () => undefined } as unknown as OutboxRelay);
}

/** A survey and a distribution, inserted the way the ops API stores them. */
export async function seedDistribution(
  ds: DataSource,
  o: {
    submissionLimit?: unknown;
    tags?: Record<string, string>;
    expiry?: unknown;
    questions?: unknown[];
  } = {},
): Promise<{ surveyId: string; distributionId: string }> {
  const surveyId = randomUUID();
  const distributionId = randomUUID();
  await ds.query(`INSERT INTO surveys (id, name, questions) VALUES ($1, 'CSAT', $2::jsonb)`, [
    surveyId,
    JSON.stringify(o.questions ?? []),
  ]);
  await ds.query(
    `INSERT INTO distributions (id, survey_id, name, status, expiry, accounts, tags, submission_limit)
     VALUES ($1, $2, 'Resolved', 'active', $5::jsonb, '{}', $3::jsonb, $4::jsonb)`,
    [
      distributionId,
      surveyId,
      JSON.stringify(o.tags ?? {}),
      o.submissionLimit ? JSON.stringify(o.submissionLimit) : null,
      JSON.stringify(o.expiry ?? { mode: 'none' }),
    ],
  );
  return { surveyId, distributionId };
}

/** A link row as the link issuer writes it. */
export async function seedLink(
  ds: DataSource,
  distributionId: string,
  o: { submissionLimit?: unknown; submissions?: number; windowStartedAt?: Date | null; caseId?: string } = {},
): Promise<string> {
  const id = randomUUID();
  await ds.query(
    `INSERT INTO survey_links (id, distribution_id, case_id, token_hash, token_nonce, transaction_data, language,
                               submission_limit, submissions, window_started_at)
     VALUES ($1, $2, $3, $4, '\\x00', '{"customer_name":"Ada"}', 'en', $5::jsonb, $6, $7)`,
    [
      id,
      distributionId,
      o.caseId ?? `case-${id}`,
      `hash-${id}`,
      o.submissionLimit ? JSON.stringify(o.submissionLimit) : null,
      o.submissions ?? 0,
      o.windowStartedAt ?? null,
    ],
  );
  return id;
}

/** A distribution with every setting away from its default (and its survey), for tests that compare columns. */
export async function seedDistributionAwayFromDefaults(ds: DataSource): Promise<string> {
  const surveyId = randomUUID();
  const id = randomUUID();
  await ds.query(`INSERT INTO surveys (id, name, questions) VALUES ($1, 'CSAT', '[]')`, [surveyId]);
  await ds.query(
    `INSERT INTO distributions (id, survey_id, name, description, format, status, starts_at, expiry, accounts, tags,
                                default_language, fallback, submission_limit, hosting)
     VALUES ($1, $2, 'Resolved', 'after resolution', 'conversational', 'active', '2026-01-01T00:00:00Z',
             '{"mode":"dynamic","amount":7,"unit":"days"}', '{"email":{"fromEmail":"s@acme.test"},"sms":{"from":"+15555550100"}}',
             '{"program":"csat"}', 'fr', '{"whatsapp":"sms"}', '{"allowed":2,"reset":{"amount":1,"unit":"months"}}',
             '{"mode":"external","url":"https://tool.example.com/x"}')`,
    [id, surveyId],
  );
  return id;
}

/** A template row; unset parts stay null (`full`: every column set, for tests that compare columns). */
export async function seedTemplate(
  ds: DataSource,
  distributionId: string,
  t: { channel: string; kind: string; language: string; full?: boolean },
): Promise<void> {
  await ds.query(
    t.full
      ? `INSERT INTO templates (id, distribution_id, channel, kind, language, subject, html, text, content_sid, content_variables)
         VALUES ($1, $2, $3, $4, $5, 'Sujet', '<p>{{survey_link}}</p>', 'Texte {{survey_link}}', 'HX' || repeat('a', 32), '{"1":"{{survey_link}}"}')`
      : `INSERT INTO templates (id, distribution_id, channel, kind, language, subject, text)
         VALUES ($1, $2, $3, $4, $5, $5, 'x')`,
    [randomUUID(), distributionId, t.channel, t.kind, t.language],
  );
}

/**
 * An invite of a link as the link issuer writes it (`sentAt` null: not sent yet), by default an email invitation
 * still Pending; a sender's or a receipt's outcome can be given (status, delivery status, reason, fallback).
 */
export async function seedInvite(
  ds: DataSource,
  o: {
    linkId: string;
    distributionId: string;
    sentAt: Date | null;
    caseId?: string;
    kind?: string;
    contactKey?: string | null;
    channel?: string;
    status?: string;
    deliveryStatus?: string;
    reason?: string | null;
    fallbackOf?: string | null;
  },
): Promise<string> {
  const id = randomUUID();
  await ds.query(
    `INSERT INTO invites (id, action_id, link_id, distribution_id, case_id, channel, kind, language, recipient,
                          contact_key, status, delivery_status, reason, sent_at, fallback_of)
     VALUES ($1, $2, $3, $4, coalesce($5, (SELECT case_id FROM survey_links WHERE id = $3)), $6, $7, 'en',
             'a@example.com', $8, $9, $10, $11, $12, $13)`,
    [
      id,
      randomUUID(),
      o.linkId,
      o.distributionId,
      o.caseId ?? null,
      o.channel ?? 'email',
      o.kind ?? 'invitation',
      o.contactKey ?? null,
      o.status ?? 'Pending',
      o.deliveryStatus ?? 'pending',
      o.reason ?? null,
      o.sentAt,
      o.fallbackOf ?? null,
    ],
  );
  return id;
}

/** A contact with a CRM id of its own. */
export async function seedContact(ds: DataSource): Promise<string> {
  const rows: { id: string }[] = await ds.query(
    `INSERT INTO contacts (id, custom_id) VALUES ($1, $2) RETURNING id`,
    [randomUUID(), `crm-${randomUUID()}`],
  );
  return rows[0].id;
}

/** Quarantine rules are global: tests of them start from none. */
export async function clearQuarantineRules(ds: DataSource): Promise<void> {
  await ds.query(`DELETE FROM quarantine_rules`);
}

/** A link as the funnel sees it (language, rule, response status, open, issue time, source), seeded directly. */
export async function seedFunnelLink(
  ds: DataSource,
  distributionId: string,
  at: Date,
  o: {
    language?: string;
    ruleId?: string | null;
    status?: string;
    openedAt?: boolean;
    createdAt?: Date;
    source?: string;
  } = {},
): Promise<string> {
  const id = await seedLink(ds, distributionId);
  await ds.query(
    `UPDATE survey_links SET language = $2, rule_id = $3, response_status = $4, opened_at = $5, created_at = $6,
            source = $7 WHERE id = $1`,
    [
      id,
      o.language ?? 'en',
      o.ruleId ?? null,
      o.status ?? 'Not Started',
      o.openedAt ? at : null,
      o.createdAt ?? at,
      o.source ?? 'rule',
    ],
  );
  return id;
}

/** A response to a link (Completed, submitted at `at`, unless another status is given). */
export async function seedResponse(
  ds: DataSource,
  r: {
    linkId: string;
    distributionId: string;
    answers: Record<string, unknown>;
    at: Date;
    status?: string;
    tags?: Record<string, string>;
    language?: string;
  },
): Promise<void> {
  const status = r.status ?? 'Completed';
  await ds.query(
    `INSERT INTO responses (id, link_id, distribution_id, status, answers, tags, language, started_at, updated_at,
                            submitted_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $8, $9)`,
    [
      randomUUID(),
      r.linkId,
      r.distributionId,
      status,
      JSON.stringify(r.answers),
      JSON.stringify(r.tags ?? {}),
      r.language ?? 'en',
      r.at,
      status === 'Completed' ? r.at : null,
    ],
  );
}
