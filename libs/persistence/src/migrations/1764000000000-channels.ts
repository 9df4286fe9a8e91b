import { MigrationInterface, QueryRunner } from 'typeorm';

/** Channel senders: suppression list, quarantine (contact frequency) rules, channel fallback, WhatsApp variables. */
export class Channels1764000000000 implements MigrationInterface {
  name = 'Channels1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE suppressions (
        channel text NOT NULL CHECK (channel IN ('email','sms','whatsapp')),
        address text NOT NULL,
        reason text NOT NULL,
        source text NOT NULL,
        suppressed_at timestamptz NOT NULL,
        lifted_at timestamptz,
        lifted_by text,
        PRIMARY KEY (channel, address)
      )`);
    await q.query(`
      CREATE TABLE quarantine_rules (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        channel text CHECK (channel IN ('email','sms','whatsapp')),
        max_invites int NOT NULL CHECK (max_invites >= 0),
        period_amount int NOT NULL CHECK (period_amount > 0),
        period_unit text NOT NULL CHECK (period_unit IN ('hours','days','weeks','months','years')),
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE invites ADD COLUMN contact_key text`);
    await q.query(`ALTER TABLE invites ADD COLUMN fallback_of uuid`);
    await q.query(
      `CREATE UNIQUE INDEX invites_one_fallback ON invites (fallback_of) WHERE fallback_of IS NOT NULL`,
    );
    // A fallback invite answers the same rule action as the invite it replaces.
    await q.query(`ALTER TABLE invites DROP CONSTRAINT invites_action_id_key`);
    await q.query(
      `CREATE UNIQUE INDEX invites_one_per_action ON invites (action_id) WHERE fallback_of IS NULL`,
    );
    // Fallback invites don't count against one invitation / one thank-you per (distribution, case).
    await q.query(`DROP INDEX invites_one_invitation_per_case`);
    await q.query(
      `CREATE UNIQUE INDEX invites_one_invitation_per_case ON invites (distribution_id, case_id) WHERE kind = 'invitation' AND fallback_of IS NULL`,
    );
    await q.query(`DROP INDEX invites_one_thank_you_per_case`);
    await q.query(
      `CREATE UNIQUE INDEX invites_one_thank_you_per_case ON invites (distribution_id, case_id) WHERE kind = 'thank_you' AND fallback_of IS NULL`,
    );
    await q.query(
      `CREATE INDEX invites_contact_sent_idx ON invites (contact_key, sent_at) WHERE kind = 'invitation' AND sent_at IS NOT NULL`,
    );
    await q.query(`ALTER TABLE distributions ADD COLUMN fallback jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE templates ADD COLUMN content_variables jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE templates DROP COLUMN content_variables`);
    await q.query(`ALTER TABLE distributions DROP COLUMN fallback`);
    await q.query(`DROP INDEX invites_contact_sent_idx`);
    await q.query(`DROP INDEX invites_one_per_action`);
    await q.query(`ALTER TABLE invites ADD CONSTRAINT invites_action_id_key UNIQUE (action_id)`);
    await q.query(`DROP INDEX invites_one_fallback`);
    await q.query(`ALTER TABLE invites DROP COLUMN fallback_of`);
    await q.query(`ALTER TABLE invites DROP COLUMN contact_key`);
    await q.query(`DROP TABLE quarantine_rules`);
    await q.query(`DROP TABLE suppressions`);
  }
}
