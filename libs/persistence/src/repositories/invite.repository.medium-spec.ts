import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { mediumDataSource, seedDistribution, seedLink } from '../../../../test/support/medium';
import { InviteRepository } from './invite.repository';

describe('InviteRepository on Postgres', () => {
  let ds: DataSource;
  let sut: InviteRepository;

  beforeAll(async () => {
    ds = await mediumDataSource(2);
    sut = new InviteRepository(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  it('copies every column of a failed invite into its fallback (was: the account choice was lost), once', async () => {
    const { distributionId } = await seedDistribution(ds);
    const caseId = `case-${randomUUID()}`;
    const linkId = await seedLink(ds, distributionId, { caseId });
    const original = randomUUID();
    await ds.transaction((em) =>
      sut.insertMany(em, [
        {
          id: original,
          action_id: randomUUID(),
          link_id: linkId,
          distribution_id: distributionId,
          case_id: caseId,
          channel: 'whatsapp',
          kind: 'invitation',
          language: 'fr',
          recipient: '+33612345678',
          use_distribution_account: false,
          contact_key: 'contact:crm-7',
        },
      ]),
    );
    const fallback = randomUUID();
    const insert = () =>
      ds.transaction((em) =>
        sut.insertFallback(em, original, { id: fallback, channel: 'sms', recipient: '+33612345678' }),
      );
    expect(await insert()).toBe(true);
    expect(
      await ds.transaction((em) =>
        sut.insertFallback(em, original, { id: randomUUID(), channel: 'sms', recipient: 'x' }),
      ),
    ).toBe(false);

    const own = new Set(['id', 'channel', 'recipient', 'fallback_of', 'created_at']);
    const columns: { column_name: string }[] = await ds.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'invites'`,
    );
    const [a] = await ds.query(`SELECT * FROM invites WHERE id = $1`, [original]);
    const [b] = await ds.query(`SELECT * FROM invites WHERE id = $1`, [fallback]);
    for (const { column_name: column } of columns)
      if (!own.has(column)) expect({ column, value: b[column] }).toEqual({ column, value: a[column] });
    expect(b).toMatchObject({ channel: 'sms', fallback_of: original, use_distribution_account: false });
  });
});
