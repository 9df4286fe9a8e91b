import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The only SQL for `send_rate_slots`. */
@Injectable()
export class SendRateRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Leases `count` consecutive send slots of `account`, `intervalMs` apart, on the database's clock (the same for
   * every instance). Unused capacity accumulates up to one second's worth, like a token bucket of size `rate`.
   * Returns the first slot and the database's now, both in ms since the epoch.
   */
  async lease(
    account: string,
    intervalMs: number,
    count: number,
  ): Promise<{ startMs: number; nowMs: number }> {
    const [row]: { start_ms: number; now_ms: number }[] = await this.ds.query(
      `WITH now AS (SELECT extract(epoch FROM clock_timestamp()) * 1000 AS ms)
       INSERT INTO send_rate_slots AS s (account, next_slot_ms)
       SELECT $1, now.ms - 1000 + $2 + $2 * $3 FROM now
       ON CONFLICT (account) DO UPDATE SET
         next_slot_ms = GREATEST(s.next_slot_ms, (SELECT ms FROM now) - 1000 + $2) + $2 * $3
       RETURNING next_slot_ms - $2 * $3 AS start_ms, (SELECT ms FROM now) AS now_ms`,
      [account, intervalMs, count],
    );
    return { startMs: Number(row.start_ms), nowMs: Number(row.now_ms) };
  }
}
