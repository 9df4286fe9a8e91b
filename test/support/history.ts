import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';

/**
 * Existing history, as traffic leaves it: for each g, a resolved case `old-<g>` with its survey link, a sent
 * invitation and its completed rule run, two days old (inside every retention window). Written with
 * generate_series, so a million rows take about a minute. Used by the bench's growth measurement (--preload) and by
 * the medium test of batch-statement plans. Row ids are derived from g (`historyId`), so callers can name them.
 */
export async function insertHistory(
  em: EntityManager,
  o: { distributionId: string; ruleId: string },
  from: number,
  to: number,
): Promise<void> {
  await em.query(
    `INSERT INTO cases (id, case_number, fields, custom_fields, contact, updated_at)
     SELECT 'old-' || g, g::text, '{"status":"Resolved","priority":"High"}',
            jsonb_build_object('program', $3::text), '{"name":"Old Customer","email":"old@example.com","language":"en"}',
            now() - interval '2 days'
     FROM generate_series($1::int, $2::int) g`,
    [from, to, o.distributionId],
  );
  await em.query(
    `INSERT INTO survey_links (id, distribution_id, case_id, token_hash, token_nonce, transaction_data, language, created_at)
     SELECT md5('link' || g)::uuid, $3, 'old-' || g, md5('hash' || g), $4, '{}', 'en', now() - interval '2 days'
     FROM generate_series($1::int, $2::int) g`,
    [from, to, o.distributionId, randomBytes(16)],
  );
  await em.query(
    `INSERT INTO invites (id, action_id, link_id, distribution_id, case_id, channel, kind, language, recipient,
                          status, delivery_status, attempted_at, sent_at, status_changed_at, created_at, attempts)
     SELECT md5('invite' || g)::uuid, md5('action' || g)::uuid, md5('link' || g)::uuid, $3, 'old-' || g, 'email',
            'invitation', 'en', 'old@example.com', 'Invite Sent', 'delivered', now() - interval '2 days',
            now() - interval '2 days', now() - interval '2 days', now() - interval '2 days', 1
     FROM generate_series($1::int, $2::int) g`,
    [from, to, o.distributionId],
  );
  await em.query(
    `INSERT INTO rule_runs (id, rule_id, rule_version, case_id, correlation_id, status, next_step, steps, created_at, updated_at)
     SELECT md5('run' || g)::uuid, $3, 1, 'old-' || g, 'old-' || g, 'completed', 1, '[]',
            now() - interval '2 days', now() - interval '2 days'
     FROM generate_series($1::int, $2::int) g`,
    [from, to, o.ruleId],
  );
}

/** The id `insertHistory` gave the g-th row of a kind (the SQL's md5(kind || g)::uuid). */
export function historyId(kind: 'link' | 'invite' | 'action' | 'run', g: number): string {
  const h = createHash('md5').update(`${kind}${g}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A rule for history's runs to belong to (rule_runs.rule_id references rules). */
export async function seedRule(em: EntityManager): Promise<string> {
  const id = randomUUID();
  await em.query(
    `INSERT INTO rules (id, name, trigger, conditions, actions) VALUES ($1, 'history', 'case.updated', '{"all":[]}', '[]')`,
    [id],
  );
  return id;
}
