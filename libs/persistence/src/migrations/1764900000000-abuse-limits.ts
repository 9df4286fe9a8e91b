import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Limits that hold across instances (issue 11): misses of survey-link guessers per client (address, IPv6 /64), and
 * the next free send slot of each provider account, both shared through Postgres instead of kept per process.
 */
export class AbuseLimits1764900000000 implements MigrationInterface {
  name = 'AbuseLimits1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE link_guess_counters (
        client_key text PRIMARY KEY,
        misses integer NOT NULL,
        window_started_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX link_guess_counters_seen_idx ON link_guess_counters (last_seen_at)`);
    await q.query(`
      CREATE TABLE send_rate_slots (
        account text PRIMARY KEY,
        next_slot_ms double precision NOT NULL
      )`);
    await q.query(`CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idempotency_keys_created_idx`);
    await q.query(`DROP TABLE send_rate_slots`);
    await q.query(`DROP TABLE link_guess_counters`);
  }
}
