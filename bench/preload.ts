import { DataSource } from 'typeorm';
import { insertHistory } from '../test/support/history';
import type { Fixture } from '../test/support/pipeline';

/**
 * Existing history for the growth measurement (--preload N): N resolved cases with their link, invitation and
 * completed run (test/support/history.ts), in transactions of 50 000, then ANALYZEd so the planner sees the sizes.
 */
export async function preload(ds: DataSource, f: Fixture, n: number): Promise<void> {
  for (let from = 1; from <= n; from += 50_000) {
    const to = Math.min(n, from + 49_999);
    await ds.transaction((em) => insertHistory(em, f, from, to));
  }
  for (const t of ['cases', 'survey_links', 'invites', 'rule_runs']) await ds.query(`ANALYZE ${t}`);
}
