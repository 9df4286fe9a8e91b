import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Fixture } from '../test/support/pipeline';

/**
 * Existing history for the growth measurement (--preload N): N resolved cases, each with its survey link, a sent
 * invitation, its completed rule run and its rules inbox entry, as a year of traffic leaves them. Written in
 * batches of 50 000 with generate_series, then ANALYZEd so the planner sees the real sizes.
 */
export async function preload(ds: DataSource, f: Fixture, n: number): Promise<void> {
  const nonce = randomBytes(16);
  for (let from = 1; from <= n; from += 50_000) {
    const to = Math.min(n, from + 49_999);
    await ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO cases (id, case_number, fields, custom_fields, contact, updated_at)
         SELECT 'old-' || g, g::text, '{"status":"Resolved","priority":"High"}',
                jsonb_build_object('program', $3::text), '{"name":"Old Customer","email":"old@example.com","language":"en"}',
                now() - interval '2 days'
         FROM generate_series($1::int, $2::int) g`,
        [from, to, f.distributionId],
      );
      await m.query(
        `INSERT INTO survey_links (id, distribution_id, case_id, token_hash, token_nonce, transaction_data, language, created_at)
         SELECT md5('link' || g)::uuid, $3, 'old-' || g, md5('hash' || g), $4, '{}', 'en', now() - interval '2 days'
         FROM generate_series($1::int, $2::int) g`,
        [from, to, f.distributionId, nonce],
      );
      await m.query(
        `INSERT INTO invites (id, action_id, link_id, distribution_id, case_id, channel, kind, language, recipient,
                              status, delivery_status, attempted_at, sent_at, status_changed_at, created_at, attempts)
         SELECT md5('invite' || g)::uuid, md5('action' || g)::uuid, md5('link' || g)::uuid, $3, 'old-' || g, 'email',
                'invitation', 'en', 'old@example.com', 'Invite Sent', 'delivered', now() - interval '2 days',
                now() - interval '2 days', now() - interval '2 days', now() - interval '2 days', 1
         FROM generate_series($1::int, $2::int) g`,
        [from, to, f.distributionId],
      );
      await m.query(
        `INSERT INTO rule_runs (id, rule_id, rule_version, case_id, correlation_id, status, next_step, steps, created_at, updated_at)
         SELECT md5('run' || g)::uuid, $3, 1, 'old-' || g, 'old-' || g, 'completed', 1, '[]',
                now() - interval '2 days', now() - interval '2 days'
         FROM generate_series($1::int, $2::int) g`,
        [from, to, f.ruleId],
      );
    });
  }
  for (const t of ['cases', 'survey_links', 'invites', 'rule_runs']) await ds.query(`ANALYZE ${t}`);
}
