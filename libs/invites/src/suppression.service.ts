import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Channel } from '@fg/contracts';

export interface Suppression {
  channel: Channel;
  address: string;
  reason: string;
  source: string;
}

/** Addresses compare normalised: e-mail case-insensitively, numbers without the `whatsapp:` prefix or spaces. */
export function normalizeAddress(channel: Channel, address: string): string {
  const a = address.trim();
  return channel === 'email' ? a.toLowerCase() : a.replace(/^whatsapp:/i, '').replace(/[\s()-]/g, '');
}

/**
 * The suppression list, per channel: hard bounces, spam reports, unsubscribes and STOP replies put an address
 * on it (with the reason and where it came from); later sends to it end Suppressed without a provider call.
 * START or a resubscribe lifts it (the row stays, with when and by what it was lifted).
 */
@Injectable()
export class SuppressionService {
  async suppress(em: EntityManager, entries: Suppression[], at: Date): Promise<void> {
    if (!entries.length) return;
    await em.query(
      `INSERT INTO suppressions (channel, address, reason, source, suppressed_at)
       SELECT DISTINCT ON (x.channel, x.address) x.channel, x.address, x.reason, x.source, $2
       FROM jsonb_to_recordset($1::jsonb) AS x(channel text, address text, reason text, source text)
       ON CONFLICT (channel, address) DO UPDATE SET reason = excluded.reason, source = excluded.source,
         suppressed_at = excluded.suppressed_at, lifted_at = NULL, lifted_by = NULL`,
      [JSON.stringify(entries.map((e) => ({ ...e, address: normalizeAddress(e.channel, e.address) }))), at],
    );
  }

  async lift(em: EntityManager, channel: Channel, address: string, by: string, at: Date): Promise<boolean> {
    const [, n]: [unknown, number] = await em.query(
      `UPDATE suppressions SET lifted_at = $3, lifted_by = $4
       WHERE channel = $1 AND address = $2 AND lifted_at IS NULL`,
      [channel, normalizeAddress(channel, address), at, by],
    );
    return n > 0;
  }

  /** The active suppressions among these addresses, by normalised address. */
  async active(em: EntityManager, channel: Channel, addresses: string[]): Promise<Map<string, Suppression>> {
    if (!addresses.length) return new Map();
    const rows: Suppression[] = await em.query(
      `SELECT channel, address, reason, source FROM suppressions
       WHERE channel = $1 AND address = ANY($2::text[]) AND lifted_at IS NULL`,
      [channel, [...new Set(addresses.map((a) => normalizeAddress(channel, a)))]],
    );
    return new Map(rows.map((r) => [r.address, r]));
  }
}
