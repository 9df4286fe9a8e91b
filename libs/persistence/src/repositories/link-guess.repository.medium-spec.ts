import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { mediumDataSource } from '../../../../test/support/medium';
import { LinkGuessRepository } from './link-guess.repository';

describe('LinkGuessRepository on Postgres', () => {
  let ds: DataSource;
  let sut: LinkGuessRepository;
  const t0 = new Date('2026-07-01T12:00:00Z');
  const at = (ms: number) => new Date(t0.getTime() + ms);

  beforeAll(async () => {
    ds = await mediumDataSource(2);
    sut = new LinkGuessRepository(ds);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  it('counts misses per client in a one-minute window, shared by every caller', async () => {
    const client = `10.1.${randomUUID()}`;
    const other = new LinkGuessRepository(ds); // another gateway instance
    expect(await sut.miss(client, at(0), 60_000)).toBe(1);
    expect(await other.miss(client, at(1_000), 60_000)).toBe(2);
    expect(await sut.miss(client, at(59_000), 60_000)).toBe(3);
    expect(await other.miss(client, at(60_000), 60_000)).toBe(1); // a new window
    const parallel = await Promise.all(
      Array.from({ length: 20 }, () => sut.miss(client, at(61_000), 60_000)),
    );
    expect(parallel.sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
  });

  it('forgets finished windows and, past its cap, the least recently seen clients first', async () => {
    await ds.query(`DELETE FROM link_guess_counters`);
    const now = at(10 * 60_000);
    await sut.miss('stale', at(0), 60_000);
    for (let i = 0; i < 5; i++) await sut.miss(`c${i}`, at(10 * 60_000 - 5_000 + i * 1_000), 60_000);
    await sut.prune(now, 60_000, 3);
    const left: { client_key: string }[] = await ds.query(
      `SELECT client_key FROM link_guess_counters ORDER BY client_key`,
    );
    expect(left.map((r) => r.client_key)).toEqual(['c2', 'c3', 'c4']);
  });
});
