import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { SendRateRepository } from '@fg/persistence';
import { mediumDataSource } from '../../../test/support/medium';
import { AccountRateLimiter } from './rate-limiter';

describe('per-account send rate across sender instances, on Postgres', () => {
  let ds: DataSource;

  beforeAll(async () => {
    ds = await mediumDataSource(4);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  it('two instances together send no faster than the account’s rate', async () => {
    const account = `sms:${randomUUID()}`;
    const rate = 20;
    // Two senders, each with its own pool, as two processes would have.
    const a = new AccountRateLimiter(new SendRateRepository(ds));
    const b = new AccountRateLimiter(new SendRateRepository(ds));
    const sent: number[] = [];
    const started = Date.now();
    const run = async (l: AccountRateLimiter) => {
      for (let i = 0; i < 30; i++) {
        await l.acquire(account, rate);
        sent.push(Date.now() - started);
      }
    };
    await Promise.all([run(a), run(b)]);
    sent.sort((x, y) => x - y);
    // 60 sends at 20/s with a one-second burst (20): the last can't go before (60 - 20) / 20 = 2 s. Each instance
    // pacing alone would have been done after (30 - 20) / 20 = 0.5 s.
    expect(sent[59]).toBeGreaterThanOrEqual(1_900);
    // And in no second after the burst do they send near twice the rate, as two unshared limiters would (timers firing
    // late on a busy machine may bunch a few sends together, hence the margin).
    for (let t = 1_000; t + 1_000 <= sent[59]; t += 100) {
      expect(sent.filter((s) => s >= t && s < t + 1_000).length).toBeLessThanOrEqual(rate * 1.25);
    }
  });
});
