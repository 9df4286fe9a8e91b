import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { mediumDataSource } from '../../../test/support/medium';
import { eventually } from '../../../test/support/eventually';
import { ReferenceCache } from './reference-cache';

/**
 * The reference cache on Postgres: a read is served from memory until any write to its table (here plain SQL, as
 * an operator's psql would do it) is notified, and nothing is cached while changes can't be heard.
 */
describe('ReferenceCache on Postgres', () => {
  let ds: DataSource;
  const url = process.env.FG_MEDIUM_DATABASE_URL!;
  const caches: ReferenceCache[] = [];

  beforeAll(async () => {
    ds = await mediumDataSource(2);
  });
  afterAll(async () => {
    await Promise.all(caches.map((c) => c.stop()));
    await ds?.destroy();
  });

  async function started(u: string | undefined, name = `fg-test/${randomUUID()}`) {
    const cache = new ReferenceCache(u, name);
    caches.push(cache);
    await cache.start();
    return cache;
  }
  /** A statement on the table that changes no row: its statement trigger notifies all the same. */
  const touch = (table: string) => ds.query(`UPDATE ${table} SET id = id WHERE false`);

  it('serves a read from memory until its table is written, then reads it again', async () => {
    const cache = await started(url);
    expect(cache.listening).toBe(true);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get('templates', 'k', load)).toBe(1);
    expect(await cache.get('templates', 'k', load)).toBe(1);
    await touch('rules'); // another table: templates stay cached
    await touch('templates');
    await eventually(async () => expect(await cache.get('templates', 'k', load)).toBe(2));
    expect(await cache.get('templates', 'k', load)).toBe(2);
  });

  it('keeps only one table’s entries from a notification', async () => {
    const cache = await started(url);
    const seen: string[] = [];
    const invalidate = cache.invalidate.bind(cache);
    jest.spyOn(cache, 'invalidate').mockImplementation((t) => {
      seen.push(t);
      invalidate(t);
    });
    let rules = 0;
    let templates = 0;
    await cache.get('rules', 'enabled', async () => ++rules);
    await cache.get('templates', 'k', async () => ++templates);
    await touch('webhook_subscriptions');
    await eventually(() => expect(seen).toContain('webhook_subscriptions'));
    await cache.get('rules', 'enabled', async () => ++rules);
    await cache.get('templates', 'k', async () => ++templates);
    expect([rules, templates]).toEqual([1, 1]);
  });

  it('does not keep a value read before a change that was notified while it was being read', async () => {
    const cache = await started(url);
    let notified = 0;
    const invalidate = cache.invalidate.bind(cache);
    jest.spyOn(cache, 'invalidate').mockImplementation((t) => {
      notified++;
      invalidate(t);
    });
    let loads = 0;
    const racing = async () => {
      loads++;
      const before = notified;
      await touch('distributions'); // the row this read returns changes meanwhile
      await eventually(() => expect(notified).toBeGreaterThan(before));
      return 'old';
    };
    expect(await cache.get('distributions', 'd', racing)).toBe('old');
    expect(await cache.get('distributions', 'd', async () => (loads++, 'new'))).toBe('new');
    expect(loads).toBe(2);
  });

  it('reads uncached when it has no connection to listen on', async () => {
    for (const cache of [await started(undefined), await started('postgres://127.0.0.1:9/none')]) {
      expect(cache.listening).toBe(false);
      let loads = 0;
      await cache.get('rules', 'enabled', async () => ++loads);
      await cache.get('rules', 'enabled', async () => ++loads);
      expect(loads).toBe(2);
    }
  });

  it('reads uncached once its connection is lost, and caches again after reconnecting', async () => {
    const name = `fg-test/${randomUUID()}`;
    const cache = await started(url, name);
    let loads = 0;
    const load = async () => ++loads;
    await cache.get('rules', 'enabled', load);
    await ds.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [
      name,
    ]);
    await eventually(() => expect(cache.listening).toBe(false));
    // Changes made while nobody listens are not missed: nothing from before is served.
    await touch('rules');
    expect(await cache.get('rules', 'enabled', load)).toBe(2);
    await eventually(() => expect(cache.listening).toBe(true), 20_000);
    const n = await cache.get('rules', 'enabled', load);
    expect(await cache.get('rules', 'enabled', load)).toBe(n);
  });
});
