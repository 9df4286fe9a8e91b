import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { returnedRows } from '../transaction';

/** The only SQL for `link_guess_counters`. */
@Injectable()
export class LinkGuessRepository {
  constructor(private readonly ds: DataSource) {}

  /** Counts one miss of `client` at `now` (a new window after `windowMs`); returns the misses in its window. */
  async miss(client: string, now: Date, windowMs: number): Promise<number> {
    const [row]: { misses: number }[] = await this.ds.query(
      `INSERT INTO link_guess_counters AS c (client_key, misses, window_started_at, last_seen_at)
       VALUES ($1, 1, $2, $2)
       ON CONFLICT (client_key) DO UPDATE SET
         misses = CASE WHEN c.window_started_at <= $2::timestamptz - make_interval(secs => $3 / 1000.0)
                       THEN 1 ELSE c.misses + 1 END,
         window_started_at = CASE WHEN c.window_started_at <= $2::timestamptz - make_interval(secs => $3 / 1000.0)
                                  THEN $2 ELSE c.window_started_at END,
         last_seen_at = $2
       RETURNING misses`,
      [client, now, windowMs],
    );
    return row.misses;
  }

  /**
   * Forgets windows that are over, then, past `keep` rows, the least recently seen clients (a flood of addresses
   * can't grow the table without bound; the oldest entries go first).
   */
  async prune(now: Date, windowMs: number, keep: number): Promise<number> {
    const expired: unknown = await this.ds.query(
      `DELETE FROM link_guess_counters
       WHERE last_seen_at < $1::timestamptz - make_interval(secs => $2 / 1000.0) RETURNING 1`,
      [now, windowMs],
    );
    const evicted: unknown = await this.ds.query(
      `DELETE FROM link_guess_counters WHERE client_key IN (
         SELECT client_key FROM link_guess_counters ORDER BY last_seen_at DESC OFFSET $1)
       RETURNING 1`,
      [keep],
    );
    return returnedRows(expired).length + returnedRows(evicted).length;
  }
}
