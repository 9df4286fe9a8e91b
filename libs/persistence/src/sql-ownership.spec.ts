import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '../../..');

/** Where each table's SQL lives: the one file a newcomer opens (decision 0015). */
const OWNER: Record<string, string> = {
  api_keys: 'libs/persistence/src/repositories/api-key.repository.ts',
  cases: 'libs/persistence/src/repositories/case.repository.ts',
  contacts: 'libs/persistence/src/repositories/contact.repository.ts',
  dead_letters: 'libs/persistence/src/repositories/dead-letter.repository.ts',
  delivery_receipts: 'libs/persistence/src/repositories/delivery-receipt.repository.ts',
  distributions: 'libs/persistence/src/repositories/distribution.repository.ts',
  idempotency_keys: 'libs/persistence/src/repositories/idempotency-key.repository.ts',
  inbox: 'libs/messaging/src/inbox.repository.ts',
  invites: 'libs/persistence/src/repositories/invite.repository.ts',
  link_guess_counters: 'libs/persistence/src/repositories/link-guess.repository.ts',
  outbox: 'libs/messaging/src/outbox.repository.ts',
  outbox_relay_lease: 'libs/messaging/src/outbox.repository.ts',
  quarantine_rules: 'libs/persistence/src/repositories/quarantine-rule.repository.ts',
  responses: 'libs/persistence/src/repositories/response.repository.ts',
  rule_evaluations: 'libs/persistence/src/repositories/rule-evaluation.repository.ts',
  rule_runs: 'libs/persistence/src/repositories/rule-run.repository.ts',
  rule_timers: 'libs/persistence/src/repositories/rule-timer.repository.ts',
  rule_versions: 'libs/persistence/src/repositories/rule.repository.ts',
  rules: 'libs/persistence/src/repositories/rule.repository.ts',
  sandbox_messages: 'libs/persistence/src/repositories/sandbox-message.repository.ts',
  segments: 'libs/persistence/src/repositories/segment.repository.ts',
  send_rate_slots: 'libs/persistence/src/repositories/send-rate.repository.ts',
  suppressions: 'libs/persistence/src/repositories/suppression.repository.ts',
  survey_links: 'libs/persistence/src/repositories/survey-link.repository.ts',
  surveys: 'libs/persistence/src/repositories/survey.repository.ts',
  templates: 'libs/persistence/src/repositories/template.repository.ts',
  webhook_deliveries: 'libs/persistence/src/repositories/webhook-delivery.repository.ts',
  webhook_subscriptions: 'libs/persistence/src/repositories/webhook-subscription.repository.ts',
};

/** The only statements outside a repository: the migration lock, the health check's `SELECT 1`, the cache's LISTEN. */
const NOT_A_TABLE = [
  'libs/persistence/src/data-source.ts',
  'libs/common/src/core.module.ts',
  'libs/persistence/src/reference-cache.ts',
];

function sources(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) {
      if (f !== 'migrations' && f !== 'node_modules') sources(p, out);
    } else if (p.endsWith('.ts') && !/spec\.ts$/.test(p)) out.push(relative(ROOT, p));
  }
  return out;
}

const files = [...sources(join(ROOT, 'apps')), ...sources(join(ROOT, 'libs'))].map((path) => ({
  path,
  text: readFileSync(join(ROOT, path), 'utf8'),
}));

describe('one owner per table', () => {
  it('has every table of the schema in the map', () => {
    const created = new Set<string>();
    const dir = join(ROOT, 'libs/persistence/src/migrations');
    for (const f of readdirSync(dir))
      for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/CREATE TABLE (\w+)/g)) created.add(m[1]);
    expect([...created].sort()).toEqual(Object.keys(OWNER).sort());
  });

  it.each(Object.entries(OWNER))('keeps the SQL for %s in %s only', (table, owner) => {
    const sql = new RegExp(`\\b(FROM|INTO|UPDATE|JOIN|TABLE)\\s+${table}\\b`);
    const writers = files.filter((f) => sql.test(f.text)).map((f) => f.path);
    // Tables a repository reads and writes only through its entity have no SQL text: then the owner holds
    // the entity calls, which the next test confines to repositories.
    expect(writers.filter((p) => p !== owner)).toEqual([]);
    expect(files.some((f) => f.path === owner)).toBe(true);
  });

  it('runs statements and entity repositories from repository files only', () => {
    const offenders = files
      .filter((f) => !f.path.endsWith('.repository.ts') && !NOT_A_TABLE.includes(f.path))
      .filter((f) => /\.query(<[^>]*>)?\(|getRepository\(|createQueryBuilder\(/.test(f.text))
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });
});
