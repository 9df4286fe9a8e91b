import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbound webhooks (issue 10): the customer's endpoints subscribed to our events, and one delivery row per
 * (subscription, event) — its attempts, answers and next try — which is also the delivery log.
 */
export class OutboundWebhooks1764800000000 implements MigrationInterface {
  name = 'OutboundWebhooks1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_subscriptions (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        url text NOT NULL,
        events jsonb NOT NULL,
        secret_ciphertext text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY,
        subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
        event_type text NOT NULL,
        event_id text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        last_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL
      )`);
    // One delivery per subscription and event: a redelivered or replayed event enqueues nothing new.
    await q.query(
      `CREATE UNIQUE INDEX webhook_deliveries_event_idx ON webhook_deliveries (subscription_id, event_id)`,
    );
    await q.query(
      `CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
    );
    await q.query(
      `CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (subscription_id, created_at DESC)`,
    );
    await q.query(`ALTER TABLE dead_letters ADD COLUMN webhook_delivery_id uuid`);
    await q.query(
      `CREATE UNIQUE INDEX dead_letters_webhook_idx ON dead_letters (consumer, webhook_delivery_id) WHERE webhook_delivery_id IS NOT NULL AND redriven_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dead_letters DROP COLUMN webhook_delivery_id`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_subscriptions`);
  }
}
