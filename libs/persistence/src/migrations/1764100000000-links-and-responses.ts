import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Personalized links: distribution settings (submission limits, survey hosting), per-link submission counts,
 * the hosted survey's responses, contacts and segments for bulk links, and idempotency keys for the one-call
 * link API.
 */
export class LinksAndResponses1764100000000 implements MigrationInterface {
  name = 'LinksAndResponses1764100000000';

  async up(q: QueryRunner): Promise<void> {
    // { allowed, reset: { amount, unit } | null } or null (no limit)
    await q.query(`ALTER TABLE distributions ADD COLUMN submission_limit jsonb`);
    // { mode: 'hosted' } | { mode: 'external', url }
    await q.query(`ALTER TABLE distributions ADD COLUMN hosting jsonb NOT NULL DEFAULT '{"mode":"hosted"}'`);
    await q.query(`ALTER TABLE survey_links ADD COLUMN contact_id uuid`);
    // rule (link-issuer), api (one-call), bulk (segment CSV), test (test send)
    await q.query(`ALTER TABLE survey_links ADD COLUMN source text NOT NULL DEFAULT 'rule'`);
    await q.query(`ALTER TABLE survey_links ADD COLUMN submissions int NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE survey_links ADD COLUMN window_started_at timestamptz`);
    await q.query(`ALTER TABLE survey_links ADD COLUMN submission_limit jsonb`);
    await q.query(`ALTER TABLE survey_links ADD COLUMN reported_sent_at timestamptz`);
    await q.query(`ALTER TABLE survey_links ADD COLUMN reported_sent_channel text`);
    await q.query(
      `CREATE UNIQUE INDEX survey_links_one_bulk_per_contact ON survey_links (distribution_id, contact_id) WHERE source = 'bulk'`,
    );
    await q.query(`
      CREATE TABLE responses (
        id uuid PRIMARY KEY,
        link_id uuid NOT NULL REFERENCES survey_links(id),
        distribution_id uuid NOT NULL,
        case_id text,
        status text NOT NULL CHECK (status IN ('In Progress','Partially Completed','Completed')),
        answers jsonb NOT NULL DEFAULT '{}',
        tags jsonb NOT NULL DEFAULT '{}',
        language text NOT NULL,
        started_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        submitted_at timestamptz
      )`);
    // At most one response in progress per link: progress saves update it, submit closes it.
    await q.query(
      `CREATE UNIQUE INDEX responses_one_open_per_link ON responses (link_id) WHERE status <> 'Completed'`,
    );
    await q.query(`CREATE INDEX responses_distribution_idx ON responses (distribution_id, submitted_at)`);
    await q.query(`
      CREATE TABLE contacts (
        id uuid PRIMARY KEY,
        custom_id text UNIQUE,
        first_name text,
        last_name text,
        email text,
        phone text,
        language text,
        attributes jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX contacts_attributes_idx ON contacts USING gin (attributes)`);
    await q.query(`
      CREATE TABLE segments (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        filter jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE idempotency_keys (
        principal text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        status int NOT NULL,
        response jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (principal, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['idempotency_keys', 'segments', 'contacts', 'responses'])
      await q.query(`DROP TABLE ${t}`);
    await q.query(`DROP INDEX survey_links_one_bulk_per_contact`);
    for (const c of [
      'reported_sent_channel',
      'reported_sent_at',
      'submission_limit',
      'window_started_at',
      'submissions',
      'contact_id',
      'source',
    ])
      await q.query(`ALTER TABLE survey_links DROP COLUMN ${c}`);
    await q.query(`ALTER TABLE distributions DROP COLUMN hosting`);
    await q.query(`ALTER TABLE distributions DROP COLUMN submission_limit`);
  }
}
