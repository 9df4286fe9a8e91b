import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { mediumDataSource } from '../../../../test/support/medium';
import { ContactRepository, NewContact } from './contact.repository';

describe('segments over contacts on Postgres', () => {
  let ds: DataSource;
  let sut: ContactRepository;
  const batch = randomUUID();

  beforeAll(async () => {
    ds = await mediumDataSource(2);
    sut = new ContactRepository(ds);
    const people: Pick<NewContact, 'custom_id' | 'email' | 'language' | 'attributes'>[] = [
      {
        custom_id: `${batch}-1`,
        email: 'a@example.com',
        language: 'en',
        attributes: { batch, plan: 'pro', seats: 5 },
      },
      { custom_id: `${batch}-2`, email: null, language: 'fr', attributes: { batch, plan: 'free' } },
      { custom_id: `${batch}-3`, email: 'c@example.com', language: 'fr', attributes: { batch, plan: 'pro' } },
    ];
    await ds.transaction((em) =>
      sut.upsert(
        em,
        people.map((p) => ({ ...p, first_name: null, last_name: null, phone: null })),
      ),
    );
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  const mine = { attribute: 'batch', op: 'equals', value: batch };
  const count = (f: unknown) => sut.countMatching({ all: [mine, f] });

  it('filters by attributes and columns: equals, not_equals, in, exists, all and any', async () => {
    expect(await count({ attribute: 'plan', op: 'equals', value: 'pro' })).toBe(2);
    expect(await count({ attribute: 'plan', op: 'not_equals', value: 'pro' })).toBe(1);
    expect(await count({ attribute: 'language', op: 'in', value: ['fr', 'de'] })).toBe(2);
    expect(await count({ attribute: 'email', op: 'exists' })).toBe(2);
    expect(await count({ attribute: 'seats', op: 'exists' })).toBe(1);
    expect(
      await count({
        any: [
          { attribute: 'plan', op: 'equals', value: 'free' },
          { attribute: 'seats', op: 'equals', value: 5 },
        ],
      }),
    ).toBe(2);
    // A value that looks like SQL is a value.
    expect(await count({ attribute: 'plan', op: 'equals', value: "pro' OR '1'='1" })).toBe(0);
  });

  it('pages through a segment in id order without repeating or skipping', async () => {
    const seen: string[] = [];
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const page = await sut.pageMatching(ds.manager, mine, after, 2);
      if (!page.length) break;
      seen.push(...page.map((c) => c.custom_id!));
      after = page[page.length - 1].id;
    }
    expect(seen.sort()).toEqual([`${batch}-1`, `${batch}-2`, `${batch}-3`]);
  });

  it('updates a contact by your id, merging attributes and keeping what is not given', async () => {
    const [row] = await ds.transaction((em) =>
      sut.upsert(em, [
        {
          custom_id: `${batch}-1`,
          first_name: 'Ada',
          last_name: null,
          email: null,
          phone: null,
          language: null,
          attributes: { tier: 'gold' },
        },
      ]),
    );
    expect(row).toMatchObject({
      first_name: 'Ada',
      email: 'a@example.com',
      language: 'en',
      attributes: { batch, plan: 'pro', seats: 5, tier: 'gold' },
    });
  });
});
