import { Logger } from '@nestjs/common';
import { Client } from 'pg';

/** The tables whose rows are reference data: written by operators through the API, read on every event. */
export const REFERENCE_TABLES = [
  'rules',
  'distributions',
  'templates',
  'quarantine_rules',
  'webhook_subscriptions',
] as const;
export type ReferenceTable = (typeof REFERENCE_TABLES)[number];

/** The channel the tables' statement triggers notify on (migration 1765100000000), with the table's name. */
export const REFERENCE_CHANNEL = 'fg_reference_changed';

/** A backstop: even with every notification received, nothing is kept longer than this. */
const MAX_AGE_MS = 60_000;
const RECONNECT_MS = 2_000;

interface Entry {
  generation: number;
  at: number;
  value: unknown;
}

/**
 * Reference data cached in the process and dropped as soon as it changes. Every write to a reference table, by
 * any process (the API, a migration, an operator's psql), makes its statement trigger `NOTIFY` the table's name
 * when the transaction commits; this cache listens on one connection of its own and drops that table's entries.
 * A value read before a change but stored after its notification is discarded (a generation per table), and while
 * the listening connection is down nothing is cached at all, so a missed notification can't serve stale rows.
 *
 * What a reader sees is what it would have read from the table a moment earlier: a rule edited through the API
 * applies to the next event the consumers take, as before. Read on the event paths only (rules, link issuer,
 * senders, outbound webhooks), never where the same transaction writes the table. Values are shared between
 * callers: treat them as read-only.
 */
export class ReferenceCache {
  private readonly log = new Logger('ReferenceCache');
  private readonly entries = new Map<string, Entry>();
  private readonly generations = new Map<ReferenceTable, number>();
  private client?: Client;
  private live = false;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  /** `url` unset: a cache that never caches (one connection only, as in the embedded mode). */
  constructor(
    private readonly url: string | undefined,
    private readonly applicationName = 'feedback-gateway/reference-cache',
  ) {}

  /** True while changes are being listened to (and so values are cached). */
  get listening(): boolean {
    return this.live;
  }

  async start(): Promise<void> {
    if (!this.url) return;
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.drop();
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  /**
   * The cached value for (`table`, `key`), or `load()`'s, kept until `table` changes. `load` reads committed rows
   * of `table` only (any transaction that never wrote them).
   */
  async get<T>(table: ReferenceTable, key: string, load: () => Promise<T>): Promise<T> {
    if (!this.live) return load();
    const k = `${table}\u0000${key}`;
    const generation = this.generations.get(table) ?? 0;
    const hit = this.entries.get(k);
    if (hit && hit.generation === generation && Date.now() - hit.at < MAX_AGE_MS) return hit.value as T;
    const value = await load();
    if (this.live && (this.generations.get(table) ?? 0) === generation)
      this.entries.set(k, { generation, at: Date.now(), value });
    return value;
  }

  /** Drops a table's entries (what a notification does). */
  invalidate(table: string): void {
    if (!(REFERENCE_TABLES as readonly string[]).includes(table)) return this.drop();
    const t = table as ReferenceTable;
    this.generations.set(t, (this.generations.get(t) ?? 0) + 1);
    const prefix = `${t}\u0000`;
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  private drop() {
    for (const t of REFERENCE_TABLES) this.generations.set(t, (this.generations.get(t) ?? 0) + 1);
    this.entries.clear();
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.url,
      application_name: this.applicationName,
      keepAlive: true,
    });
    const lost = (why: string) => {
      if (this.client !== client) return;
      this.live = false;
      this.client = undefined;
      this.drop();
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.log.warn(`reference data is read uncached until the database is back (${why})`);
      this.retry = setTimeout(() => void this.connect(), RECONNECT_MS);
      this.retry.unref();
    };
    this.client = client;
    client.on('error', (e) => lost(e.message));
    client.on('end', () => lost('connection closed'));
    client.on('notification', (n) => {
      if (n.channel === REFERENCE_CHANNEL) this.invalidate(n.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${REFERENCE_CHANNEL}`);
      if (this.client !== client || this.stopped) return;
      // Whatever changed while nobody listened: start from nothing.
      this.drop();
      this.live = true;
    } catch (e) {
      lost((e as Error).message);
    }
  }
}

/** `load()` through `cache` when there is one (services built without it, as in medium tests, read directly). */
export function readThrough<T>(
  cache: ReferenceCache | undefined,
  table: ReferenceTable,
  key: string,
  load: () => Promise<T>,
): Promise<T> {
  return cache ? cache.get(table, key, load) : load();
}
