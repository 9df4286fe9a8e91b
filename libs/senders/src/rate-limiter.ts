/** Where slots come from: `send_rate_slots` in Postgres (SendRateRepository), shared by every sender instance. */
export interface SlotStore {
  lease(account: string, intervalMs: number, count: number): Promise<{ startMs: number; nowMs: number }>;
}

/** Slots per lease at most (a block is about 100 ms of the account's rate). */
const MAX_BLOCK = 10_000;
/** Unused capacity an account may spend at once: one second's worth (as SendRateRepository.lease grants). */
const BURST_MS = 1000;

interface Lease {
  /** The next unused slot, on this process' clock. */
  next: number;
  left: number;
  intervalMs: number;
}

/**
 * Spaces sends per provider account so a burst becomes a steady flow instead of a 429 storm, and the configured rate
 * holds for the account however many sender instances run: slots are leased from one row per account in Postgres
 * (1 / rate seconds apart, with up to one second of unused capacity as a burst), a block of about 100 ms worth at
 * a time so a busy sender makes one query per block, not per message (also when it sends slower than the rate). A
 * slot is used at most one second after its time (the same burst a fresh lease gets) and otherwise dropped, so in
 * any window the instances together send at most the rate times (window + 1 s).
 */
export class AccountRateLimiter {
  private readonly leases = new Map<string, Lease>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: SlotStore,
    private readonly now: () => number = Date.now,
    private readonly sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  ) {}

  /** Waits for the account's next slot at `perSecond`. */
  async acquire(account: string, perSecond: number): Promise<void> {
    // One taker at a time per account in this process, so leases are used in order.
    const prev = this.queues.get(account) ?? Promise.resolve();
    const slot = prev.then(() => this.take(account, perSecond));
    this.queues.set(
      account,
      slot.catch(() => undefined),
    );
    const wait = (await slot) - this.now();
    if (wait > 0) await this.sleep(wait);
  }

  private async take(account: string, perSecond: number): Promise<number> {
    const intervalMs = 1000 / perSecond;
    const now = this.now();
    let l = this.leases.get(account);
    // A slot may be used up to one second after its time (the burst the store grants a fresh lease too); older
    // ones are dropped, never used late. A sender slower than the rate so leases once per block, not per message.
    const oldest = now - BURST_MS + intervalMs;
    if (l && l.intervalMs === intervalMs && l.left > 0 && l.next < oldest) {
      const passed = Math.min(l.left, Math.ceil((oldest - l.next) / intervalMs));
      l.next += passed * intervalMs;
      l.left -= passed;
    }
    if (!l || l.left === 0 || l.intervalMs !== intervalMs) {
      // About 100 ms of the account's rate per block.
      const count = Math.max(1, Math.min(MAX_BLOCK, Math.ceil(perSecond / 10)));
      const { startMs, nowMs } = await this.store.lease(account, intervalMs, count);
      // The database's clock, translated to ours (the wait is what matters, not the clocks agreeing).
      l = { next: startMs - nowMs + this.now(), left: count, intervalMs };
      this.leases.set(account, l);
    }
    const slot = l.next;
    l.next += intervalMs;
    l.left--;
    return slot;
  }
}
