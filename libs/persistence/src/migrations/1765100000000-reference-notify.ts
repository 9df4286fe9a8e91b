import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLES = ['rules', 'distributions', 'templates', 'quarantine_rules', 'webhook_subscriptions'];

/**
 * Reference data is cached by the apps that read it on every event (ReferenceCache): any write to one of these
 * tables, whoever makes it, notifies `fg_reference_changed` with the table's name when its transaction commits, and
 * the caches drop that table's entries (issue 12, decision 0021).
 */
export class ReferenceNotify1765100000000 implements MigrationInterface {
  name = 'ReferenceNotify1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION fg_reference_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('fg_reference_changed', TG_TABLE_NAME);
        RETURN NULL;
      END $$`);
    for (const t of TABLES)
      await q.query(
        `CREATE TRIGGER ${t}_reference_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${t}
         FOR EACH STATEMENT EXECUTE FUNCTION fg_reference_changed()`,
      );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of TABLES) await q.query(`DROP TRIGGER ${t}_reference_changed ON ${t}`);
    await q.query(`DROP FUNCTION fg_reference_changed()`);
  }
}
