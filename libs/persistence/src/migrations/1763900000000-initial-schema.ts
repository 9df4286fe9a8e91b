import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1763900000000 implements MigrationInterface {
  name = 'InitialSchema1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE surveys (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        questions jsonb NOT NULL DEFAULT '[]',
        languages text[] NOT NULL DEFAULT '{en}',
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active','closed')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE distributions (
        id uuid PRIMARY KEY,
        survey_id uuid NOT NULL REFERENCES surveys(id),
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        type text NOT NULL DEFAULT 'trigger_personalized_link',
        format text NOT NULL DEFAULT 'standard' CHECK (format IN ('standard','conversational')),
        status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','active','failed','expired')),
        starts_at timestamptz,
        expiry jsonb NOT NULL DEFAULT '{"mode":"none"}',
        accounts jsonb NOT NULL DEFAULT '{}',
        tags jsonb NOT NULL DEFAULT '{}',
        default_language text NOT NULL DEFAULT 'en',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE templates (
        id uuid PRIMARY KEY,
        distribution_id uuid NOT NULL REFERENCES distributions(id) ON DELETE CASCADE,
        channel text NOT NULL CHECK (channel IN ('email','sms','whatsapp')),
        kind text NOT NULL CHECK (kind IN ('invitation','reminder','thank_you')),
        language text NOT NULL,
        subject text,
        html text,
        text text,
        content_sid text,
        UNIQUE (distribution_id, channel, kind, language)
      )`);
    await q.query(`
      CREATE TABLE rules (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        version int NOT NULL DEFAULT 1,
        enabled boolean NOT NULL DEFAULT true,
        priority int NOT NULL DEFAULT 100,
        trigger text NOT NULL,
        conditions jsonb NOT NULL,
        actions jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX rules_trigger_idx ON rules (trigger) WHERE enabled`);
    await q.query(`
      CREATE TABLE cases (
        id text PRIMARY KEY,
        case_number text,
        fields jsonb NOT NULL DEFAULT '{}',
        custom_fields jsonb NOT NULL DEFAULT '{}',
        contact jsonb,
        source_version bigint,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE survey_links (
        id uuid PRIMARY KEY,
        distribution_id uuid NOT NULL REFERENCES distributions(id),
        case_id text,
        token_hash text NOT NULL UNIQUE,
        token_nonce bytea NOT NULL,
        transaction_data jsonb NOT NULL,
        language text NOT NULL,
        starts_at timestamptz,
        expires_at timestamptz,
        revoked_at timestamptz,
        response_status text NOT NULL DEFAULT 'Not Started',
        opened_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX survey_links_one_per_case ON survey_links (distribution_id, case_id) WHERE case_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE invites (
        id uuid PRIMARY KEY,
        action_id uuid NOT NULL UNIQUE,
        link_id uuid NOT NULL REFERENCES survey_links(id),
        distribution_id uuid NOT NULL,
        case_id text NOT NULL,
        channel text NOT NULL,
        kind text NOT NULL,
        language text NOT NULL,
        recipient text NOT NULL,
        status text NOT NULL,
        delivery_status text NOT NULL,
        reason text,
        provider_message_id text,
        attempted_at timestamptz,
        sent_at timestamptz,
        status_changed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX invites_one_invitation_per_case ON invites (distribution_id, case_id) WHERE kind = 'invitation'`,
    );
    await q.query(`CREATE INDEX invites_case_idx ON invites (case_id)`);
    await q.query(`CREATE INDEX invites_provider_message_idx ON invites (provider_message_id)`);
    await q.query(`
      CREATE TABLE delivery_receipts (
        id uuid PRIMARY KEY,
        invite_id uuid NOT NULL,
        provider text NOT NULL,
        event text NOT NULL,
        provider_event_id text,
        reason text,
        occurred_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX delivery_receipts_provider_event ON delivery_receipts (provider, provider_event_id) WHERE provider_event_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX delivery_receipts_invite_idx ON delivery_receipts (invite_id)`);
    await q.query(`
      CREATE TABLE outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        origin text NOT NULL,
        topic text NOT NULL,
        key text,
        headers jsonb NOT NULL,
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX outbox_origin_idx ON outbox (origin, id)`);
    await q.query(`
      CREATE TABLE outbox_relay_lease (
        origin text PRIMARY KEY,
        holder text NOT NULL,
        lease_until timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE inbox (
        consumer text NOT NULL,
        message_id text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, message_id)
      )`);
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        permissions text[] NOT NULL,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE sandbox_messages (
        id uuid PRIMARY KEY,
        channel text NOT NULL,
        invite_id uuid,
        to_address text NOT NULL,
        from_address text,
        subject text,
        text text,
        html text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'sandbox_messages',
      'api_keys',
      'inbox',
      'outbox_relay_lease',
      'outbox',
      'delivery_receipts',
      'invites',
      'survey_links',
      'cases',
      'rules',
      'templates',
      'distributions',
      'surveys',
    ])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
