/**
 * Spaces sends per account so a burst becomes a steady flow instead of a 429 storm: each call reserves the
 * next free slot of its account (1 / rate seconds apart, with a burst of up to `rate` sends at once) and waits
 * for it. Per process: with N instances of a sender, each gets its share only if partitions are balanced.
 */
export class AccountRateLimiter {
  private readonly next = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds to wait before sending through `account` at `perSecond`; reserves that slot. */
  reserve(account: string, perSecond: number): number {
    const interval = 1000 / perSecond;
    const now = this.now();
    // Unused capacity accumulates up to one second's worth of sends.
    const slot = Math.max(now - 1000 + interval, this.next.get(account) ?? 0);
    this.next.set(account, slot + interval);
    return Math.max(0, slot - now);
  }

  async acquire(account: string, perSecond: number): Promise<void> {
    const wait = this.reserve(account, perSecond);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}
