import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Durable delivery (issue 10): a provider call's known outcome is recorded on the invite, so a send that has to
 * wait (429/5xx, the provider's circuit open, quiet hours) is a `deferred` invite with the time of its next attempt,
 * not a retry loop in a process's memory. `attempts` numbers the claims: an outcome is recorded only for the
 * attempt that made it, so a late answer can't overwrite a newer attempt. Dead letters of every topic are kept in
 * `dead_letters` for the ops API (list, redrive).
 */
export class DeliveryGuarantees1764600000000 implements MigrationInterface {
  name = 'DeliveryGuarantees1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE invites ADD COLUMN attempts integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE invites ADD COLUMN next_attempt_at timestamptz`);
    await q.query(`ALTER TABLE invites ADD COLUMN deferred_since timestamptz`);
    await q.query(
      `CREATE INDEX invites_deferred_idx ON invites (channel, next_attempt_at) WHERE delivery_status = 'deferred' AND status = 'Pending'`,
    );
    await q.query(`
      CREATE TABLE dead_letters (
        id uuid PRIMARY KEY,
        consumer text NOT NULL,
        source_topic text NOT NULL,
        source_partition integer,
        source_offset text,
        record_key text,
        value bytea,
        headers jsonb NOT NULL,
        code text NOT NULL,
        reason text NOT NULL,
        event_id text,
        invite_id uuid,
        failed_at timestamptz NOT NULL,
        redriven_at timestamptz,
        redrive_count integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One row per failed record and consumer: dead-lettering the same record again (a redelivery) adds nothing.
    await q.query(
      `CREATE UNIQUE INDEX dead_letters_source_idx ON dead_letters (consumer, source_topic, source_partition, source_offset) WHERE source_offset IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX dead_letters_invite_idx ON dead_letters (consumer, invite_id) WHERE invite_id IS NOT NULL AND redriven_at IS NULL`,
    );
    await q.query(`CREATE INDEX dead_letters_topic_idx ON dead_letters (source_topic, failed_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dead_letters`);
    await q.query(`DROP INDEX invites_deferred_idx`);
    await q.query(
      `ALTER TABLE invites DROP COLUMN attempts, DROP COLUMN next_attempt_at, DROP COLUMN deferred_since`,
    );
  }
}
