import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Channel } from '@fg/contracts';
import { SuppressionRepository } from '@fg/persistence';

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
  constructor(private readonly rows: SuppressionRepository) {}

  async suppress(em: EntityManager, entries: Suppression[], at: Date): Promise<void> {
    await this.rows.upsert(
      em,
      entries.map((e) => ({ ...e, address: normalizeAddress(e.channel, e.address) })),
      at,
    );
  }

  lift(em: EntityManager, channel: Channel, address: string, by: string, at: Date): Promise<boolean> {
    return this.rows.lift(em, channel, normalizeAddress(channel, address), by, at);
  }

  /** The active suppressions among these addresses, by normalised address. */
  async active(em: EntityManager, channel: Channel, addresses: string[]): Promise<Map<string, Suppression>> {
    if (!addresses.length) return new Map();
    const rows = await this.rows.active(em, channel, [
      ...new Set(addresses.map((a) => normalizeAddress(channel, a))),
    ]);
    return new Map(rows.map((r) => [r.address, r]));
  }

  /** The ops list (the address normalised like the list keeps it). */
  list(q: { channel?: Channel; address?: string; activeOnly: boolean; limit: number }) {
    return this.rows.list({
      ...q,
      address: q.address ? normalizeAddress(q.channel ?? 'email', q.address) : undefined,
    });
  }
}
