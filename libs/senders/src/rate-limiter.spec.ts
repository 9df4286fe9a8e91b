import { AccountRateLimiter } from './rate-limiter';

describe('per-account rate limit', () => {
  it('lets a burst of up to one second of capacity through, then spaces sends by 1/rate', () => {
    let t = 10_000;
    const limiter = new AccountRateLimiter(() => t);
    const waits = Array.from({ length: 8 }, () => limiter.reserve('sms:+1555', 5));
    // Five at once (the burst), then one every 200 ms.
    expect(waits).toEqual([0, 0, 0, 0, 0, 200, 400, 600]);
    // Accounts don't share slots.
    expect(limiter.reserve('sms:+1666', 5)).toBe(0);
    // Idle time refills the burst, but not beyond one second's worth.
    t += 60_000;
    expect(Array.from({ length: 6 }, () => limiter.reserve('sms:+1555', 5))).toEqual([0, 0, 0, 0, 0, 200]);
  });
});
