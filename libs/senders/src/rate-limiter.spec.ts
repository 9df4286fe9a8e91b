import { AccountRateLimiter, SlotStore } from './rate-limiter';

/** The SQL of SendRateRepository.lease, on a fake clock: next slot per account, burst of one second. */
class FakeSlots implements SlotStore {
  readonly next = new Map<string, number>();
  leases = 0;
  constructor(private readonly clock: () => number) {}
  lease(account: string, intervalMs: number, count: number) {
    this.leases++;
    const now = this.clock();
    const start = Math.max(this.next.get(account) ?? 0, now - 1000 + intervalMs);
    this.next.set(account, start + intervalMs * count);
    return Promise.resolve({ startMs: start, nowMs: now });
  }
}

describe('per-account rate limit', () => {
  it('lets a burst of up to one second of capacity through, then spaces sends by 1/rate', async () => {
    let t = 10_000;
    const waits: number[] = [];
    const slots = new FakeSlots(() => t);
    const limiter = new AccountRateLimiter(
      slots,
      () => t,
      (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    );
    for (let i = 0; i < 8; i++) await limiter.acquire('sms:+1555', 5);
    // Five at once (the burst), then one every 200 ms.
    expect(waits).toEqual([200, 400, 600]);
    // Idle time refills the burst, but not beyond one second's worth.
    t += 60_000;
    waits.length = 0;
    for (let i = 0; i < 6; i++) await limiter.acquire('sms:+1555', 5);
    expect(waits).toEqual([200]);
  });

  it('holds the rate across instances sharing the store', async () => {
    const t = 0;
    const slots = new FakeSlots(() => t);
    const sent: number[] = [];
    const instance = () =>
      new AccountRateLimiter(
        slots,
        () => t,
        (ms) => {
          sent.push(t + ms);
          return Promise.resolve();
        },
      );
    const [a, b] = [instance(), instance()];
    for (let i = 0; i < 50; i++) {
      await a.acquire('email:acct', 100);
      await b.acquire('email:acct', 100);
    }
    // 100 sends at 100/s: a 1 s burst (100 slots) is all they may use at once, together.
    const inFirstSecond = sent.filter((s) => s < 1000).length;
    expect(inFirstSecond).toBeLessThanOrEqual(100);
    expect(slots.leases).toBeLessThan(30); // blocks of 10 slots, not one query per send
  });

  it('drops a lease it did not use in time instead of sending late on it', async () => {
    let t = 0;
    const slots = new FakeSlots(() => t);
    const limiter = new AccountRateLimiter(
      slots,
      () => t,
      () => Promise.resolve(),
    );
    await limiter.acquire('sms:x', 100); // leases 10 slots
    t += 5_000;
    await limiter.acquire('sms:x', 100);
    expect(slots.leases).toBe(2);
  });

  it.each([600, 100_000])(
    'a sender slower than the rate (%i/s) leases about every 100 ms, not per message (was: every message)',
    async (rate) => {
      let t = 10_000;
      const slots = new FakeSlots(() => t);
      const limiter = new AccountRateLimiter(
        slots,
        () => t,
        () => Promise.resolve(),
      );
      // 150 messages a second for one second.
      for (let i = 0; i < 150; i++) {
        await limiter.acquire('email:acct', rate);
        t += 1000 / 150;
      }
      expect(slots.leases).toBeLessThanOrEqual(11);
    },
  );
});
