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
  o: { submissionLimit?: unknown; tags?: Record<string, string> } = {},
): Promise<{ surveyId: string; distributionId: string }> {
  const surveyId = randomUUID();
  const distributionId = randomUUID();
  await ds.query(`INSERT INTO surveys (id, name, questions) VALUES ($1, 'CSAT', '[]')`, [surveyId]);
  await ds.query(
    `INSERT INTO distributions (id, survey_id, name, status, expiry, accounts, tags, submission_limit)
     VALUES ($1, $2, 'Resolved', 'active', '{"mode":"none"}', '{}', $3::jsonb, $4::jsonb)`,
    [
      distributionId,
      surveyId,
      JSON.stringify(o.tags ?? {}),
      o.submissionLimit ? JSON.stringify(o.submissionLimit) : null,
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
