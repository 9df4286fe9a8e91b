import { retryDelayMs } from './retry-policy';

const cfg = { SEND_RETRY_BASE_MS: 1000, SEND_RETRY_MAX_DELAY_MS: 60_000 };

describe('retry delay', () => {
  it('doubles per attempt, with jitter in the upper half, up to the cap', () => {
    expect(retryDelayMs(1, undefined, cfg, () => 0)).toBe(500);
    expect(retryDelayMs(1, undefined, cfg, () => 1)).toBe(1000);
    expect(retryDelayMs(4, undefined, cfg, () => 1)).toBe(8000);
    expect(retryDelayMs(30, undefined, cfg, () => 1)).toBe(60_000);
    expect(retryDelayMs(30, undefined, cfg, () => 0)).toBe(30_000);
  });

  it("waits at least as long as the provider's Retry-After", () => {
    expect(retryDelayMs(1, 5000, cfg, () => 1)).toBe(5000);
    expect(retryDelayMs(8, 2000, cfg, () => 1)).toBe(60_000);
  });
});
