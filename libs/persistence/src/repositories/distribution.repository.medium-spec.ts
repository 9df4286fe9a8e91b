import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  mediumDataSource,
  seedDistributionAwayFromDefaults,
  seedTemplate,
} from '../../../../test/support/medium';
import { DistributionRepository } from './distribution.repository';
import { TemplateRepository } from './template.repository';

/** The columns of a table as the migrations made it (not as the entity says). */
async function columnsOf(ds: DataSource, table: string): Promise<string[]> {
  const rows: { column_name: string }[] = await ds.query(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
    [table],
  );
  return rows.map((r) => r.column_name);
}

describe('cloning a distribution', () => {
  let ds: DataSource;

  beforeAll(async () => {
    ds = await mediumDataSource(2);
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  it('copies every column of the distribution and of each template, compared column by column', async () => {
    // Every setting away from its default, so a column the clone forgets shows up as a difference.
    const source = await seedDistributionAwayFromDefaults(ds);
    for (const [channel, kind, language] of [
      ['email', 'invitation', 'fr'],
      ['whatsapp', 'reminder', 'en'],
    ])
      await seedTemplate(ds, source, { channel, kind, language, full: true });
    const copy = randomUUID();
    await ds.transaction(async (em) => {
      await new DistributionRepository(ds).clone(em, source, copy, 'Copy');
      await new TemplateRepository(ds).copyAll(em, source, copy);
    });

    const own = ['id', 'name', 'status', 'created_at', 'updated_at'];
    const [a] = await ds.query(`SELECT * FROM distributions WHERE id = $1`, [source]);
    const [b] = await ds.query(`SELECT * FROM distributions WHERE id = $1`, [copy]);
    for (const column of await columnsOf(ds, 'distributions'))
      if (!own.includes(column)) expect({ column, value: b[column] }).toEqual({ column, value: a[column] });
    expect(b).toMatchObject({ name: 'Copy', status: 'draft' });

    const order = `ORDER BY channel, kind, language`;
    const ta = await ds.query(`SELECT * FROM templates WHERE distribution_id = $1 ${order}`, [source]);
    const tb = await ds.query(`SELECT * FROM templates WHERE distribution_id = $1 ${order}`, [copy]);
    expect(tb).toHaveLength(ta.length);
    for (const column of await columnsOf(ds, 'templates'))
      if (column !== 'id' && column !== 'distribution_id')
        expect({ column, values: tb.map((t: Record<string, unknown>) => t[column]) }).toEqual({
          column,
          values: ta.map((t: Record<string, unknown>) => t[column]),
        });
  });
});
