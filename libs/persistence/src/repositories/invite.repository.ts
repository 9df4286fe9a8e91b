import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import { InviteEntity } from '../entities/invite.entity';
import type { RowOf } from '../row';
import { returnedRows } from '../transaction';

type Row = RowOf<InviteEntity>;

/** An invite as set-based statements return it. */
export type InviteRow = Pick<
  Row,
  | 'id'
  | 'action_id'
  | 'case_id'
  | 'distribution_id'
  | 'channel'
  | 'kind'
  | 'status'
  | 'delivery_status'
  | 'reason'
  | 'provider_message_id'
  | 'sent_at'
> &
  Partial<Pick<Row, 'recipient'>>;

/** What the sender needs of an invite it claimed. */
export type ClaimedInviteRow = InviteRow &
  Pick<Row, 'recipient' | 'contact_key' | 'link_id' | 'attempts' | 'deferred_since'>;

/** A deferred send that is due: what rebuilding its dispatch needs. */
export type DueInviteRow = Pick<
  Row,
  | 'id'
  | 'case_id'
  | 'distribution_id'
  | 'kind'
  | 'channel'
  | 'language'
  | 'recipient'
  | 'link_id'
  | 'use_distribution_account'
>;

/** A claimed send whose answer was never recorded. */
export type UnconfirmedInviteRow = InviteRow &
  Pick<Row, 'recipient' | 'link_id' | 'attempts' | 'attempted_at'>;

/** A new invite; every one starts Pending / pending. `contact_key`: who quarantine rules count it for. */
export type NewInviteRow = Pick<
  Row,
  | 'id'
  | 'action_id'
  | 'link_id'
  | 'distribution_id'
  | 'case_id'
  | 'channel'
  | 'kind'
  | 'language'
  | 'use_distribution_account'
  | 'contact_key'
> & { recipient: string | null };

/** An invite from a raw row (set-based queries return rows, not entities). */
export function inviteFromRow(r: Partial<InviteRow> & Pick<InviteRow, 'id'>): InviteEntity {
  return Object.assign(new InviteEntity(), {
    id: r.id,
    actionId: r.action_id,
    caseId: r.case_id,
    distributionId: r.distribution_id,
    channel: r.channel,
    kind: r.kind,
    status: r.status,
    deliveryStatus: r.delivery_status,
    reason: r.reason ?? null,
    providerMessageId: r.provider_message_id ?? null,
    sentAt: r.sent_at ?? null,
    ...(r.recipient !== undefined ? { recipient: r.recipient } : {}),
  });
}

/** What an invite search filters by (all optional but the scope). */
export interface InviteSearch {
  /** null: every distribution (the key sees all surveys). */
  distributionIds: string[] | null;
  distributionId?: string;
  caseId?: string;
  /** The address, case-insensitive, exactly. */
  recipient?: string;
  status?: string;
  /** The code the reason starts with (`SUPPRESSED`, `QUARANTINED`, …). */
  reasonCode?: string;
  channel?: string;
  kind?: string;
  from?: Date;
  to?: Date;
  /** The last invite of the previous page: the page continues after it (newest first). */
  before?: string;
  limit: number;
}

/** Per link: how its invitation went (the last one of the fallback chain names the channel). */
export interface InvitationOutcomeRow {
  link_id: string;
  channel: string;
  sent: boolean;
  delivered: boolean;
  opened: boolean;
}

/**
 * A subquery over `invites` for other repositories' reports (the funnel): one row per link of the distribution in
 * parameter `$1` with its invitation's outcome (InvitationOutcomeRow). Kept here so every line of SQL about
 * invites lives in this file.
 */
export const INVITATION_OUTCOMES_SQL = `
  SELECT i.link_id,
         (array_agg(i.channel ORDER BY (i.sent_at IS NULL), i.created_at DESC))[1] AS channel,
         bool_or(i.sent_at IS NOT NULL) AS sent,
         bool_or(i.delivery_status IN ('delivered', 'opened', 'clicked') OR i.status = 'Invite Opened') AS delivered,
         bool_or(i.delivery_status IN ('opened', 'clicked') OR i.status = 'Invite Opened') AS opened
  FROM invites i
  WHERE i.distribution_id = $1 AND i.kind = 'invitation'
  GROUP BY i.link_id`;

/** A subquery over `invites`: the links whose invitation was sent on the channel in parameter `param`. */
export const linksInvitedOn = (param: string) =>
  `SELECT i.link_id FROM invites i WHERE i.kind = 'invitation' AND i.sent_at IS NOT NULL AND i.channel = ${param}`;

/** The channel a link's invitation was sent on, for a report over links aliased `alias`. */
export const invitationChannelOf = (linkIdColumn: string) =>
  `(SELECT i.channel FROM invites i WHERE i.link_id = ${linkIdColumn} AND i.kind = 'invitation'
    ORDER BY (i.sent_at IS NULL), i.created_at DESC LIMIT 1)`;

const ROW = `id, action_id, case_id, distribution_id, channel, kind, status, delivery_status, reason, provider_message_id,
  sent_at`;
const I_ROW = ROW.replace(/(\w+)/g, 'i.$1');

/** The only SQL that writes `invites`. */
@Injectable()
export class InviteRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Inserts invites in one statement; one that would break a one-per rule (one invitation and one thank-you per
   * (distribution, case), one invite per rule action) is skipped. Returns the ids inserted.
   */
  async insertMany(em: EntityManager, rows: NewInviteRow[]): Promise<Set<string>> {
    if (!rows.length) return new Set();
    const inserted: { id: string }[] = await em.query(
      `INSERT INTO invites (id, action_id, link_id, distribution_id, case_id, channel, kind, language, recipient,
                            use_distribution_account, contact_key, status, delivery_status)
       SELECT x.id, x.action_id, x.link_id, x.distribution_id, x.case_id, x.channel, x.kind, x.language, x.recipient,
              x.use_distribution_account, x.contact_key, 'Pending', 'pending'
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, action_id uuid, link_id uuid, distribution_id uuid,
            case_id text, channel text, kind text, language text, recipient text, use_distribution_account boolean,
            contact_key text)
       ON CONFLICT DO NOTHING RETURNING id`,
      [JSON.stringify(rows)],
    );
    return new Set(inserted.map((r) => r.id));
  }

  /** Serializes contact-frequency checks per contact (two senders can't both let one invitation through). */
  async lockContacts(em: EntityManager, contactKeys: string[]): Promise<void> {
    await em.query(
      `SELECT pg_advisory_xact_lock(hashtext('quarantine:' || k)) FROM unnest($1::text[]) AS k`,
      [contactKeys],
    );
  }

  /** Invitations to these contacts sent (or being sent) within a period before `now`, on a channel or any. */
  recentInvitations(
    em: EntityManager,
    q: {
      contactKeys: string[];
      except: string[];
      channel: string | null;
      since: { now: Date; amount: number; unit: 'hours' | 'days' | 'weeks' | 'months' | 'years' };
    },
  ): Promise<{ contact_key: string; sent: Date; channel: InviteEntity['channel'] }[]> {
    return em.query(
      `SELECT contact_key, COALESCE(sent_at, attempted_at) AS sent, channel FROM invites
       WHERE contact_key = ANY($1::text[]) AND kind = 'invitation' AND id <> ALL($2::uuid[])
         AND ($3::text IS NULL OR channel = $3)
         AND (sent_at IS NOT NULL OR delivery_status = 'sending')
         AND COALESCE(sent_at, attempted_at) > $4::timestamptz - make_interval(${
           { hours: 'hours', days: 'days', weeks: 'weeks', months: 'months', years: 'years' }[q.since.unit]
         } => $5)`,
      [q.contactKeys, q.except, q.channel, q.since.now, q.since.amount],
    );
  }

  /**
   * The invite each rule action already made (a replayed action finds it instead of making a second one): the
   * original, not a channel fallback that shares its action, found through the one-per-action index (without
   * `fallback_of IS NULL` that partial index can't serve the query and every batch scanned the whole table).
   */
  async byActions(em: EntityManager, actionIds: string[]): Promise<Map<string, string>> {
    const rows: { id: string; action_id: string }[] = await em.query(
      `SELECT id, action_id FROM invites WHERE action_id = ANY($1::uuid[]) AND fallback_of IS NULL`,
      [actionIds],
    );
    return new Map(rows.map((r) => [r.action_id, r.id]));
  }

  /** Reminders already made for each (distribution, case). */
  async reminderCounts(
    em: EntityManager,
    pairs: { distributionId: string; caseId: string }[],
  ): Promise<{ distributionId: string; caseId: string; n: number }[]> {
    if (!pairs.length) return [];
    const rows: { distribution_id: string; case_id: string; n: number }[] = await em.query(
      `SELECT i.distribution_id, i.case_id, count(*)::int AS n FROM invites i
       JOIN unnest($1::uuid[], $2::text[]) AS p(d, c) ON i.distribution_id = p.d AND i.case_id = p.c
       WHERE i.kind = 'reminder' GROUP BY i.distribution_id, i.case_id`,
      [pairs.map((p) => p.distributionId), pairs.map((p) => p.caseId)],
    );
    return rows.map((r) => ({ distributionId: r.distribution_id, caseId: r.case_id, n: r.n }));
  }

  /**
   * The fallback of a failed invite on another channel: a copy of it (the same rule action, link, language,
   * account choice and contact) to another address; one per invite. False when it exists already.
   */
  async insertFallback(
    em: EntityManager,
    originalId: string,
    f: { id: string; channel: InviteEntity['channel']; recipient: string },
  ): Promise<boolean> {
    const rows = returnedRows<{ id: string }>(
      await em.query(
        `INSERT INTO invites (id, action_id, link_id, distribution_id, case_id, channel, kind, language, recipient,
                              use_distribution_account, contact_key, fallback_of, status, delivery_status)
         SELECT $2, action_id, link_id, distribution_id, case_id, $3, kind, language, $4, use_distribution_account,
                contact_key, id, 'Pending', 'pending'
         FROM invites WHERE id = $1
         ON CONFLICT DO NOTHING RETURNING id`,
        [originalId, f.id, f.channel, f.recipient],
      ),
    );
    return rows.length > 0;
  }

  /**
   * Claims invites for sending: pending ones, and deferred ones whose next attempt is due (a redelivered or
   * rebuilt dispatch finds nothing to claim otherwise). Each claim numbers the attempt; its outcome is recorded
   * only for that attempt.
   */
  claim(em: EntityManager, ids: string[], now: Date): Promise<ClaimedInviteRow[]> {
    return em
      .query(
        `UPDATE invites SET delivery_status = 'sending', attempted_at = $2, attempts = attempts + 1,
                next_attempt_at = NULL
         WHERE id = ANY($1::uuid[]) AND status = 'Pending'
           AND (delivery_status = 'pending' OR (delivery_status = 'deferred' AND next_attempt_at <= $2))
         RETURNING ${ROW}, recipient, contact_key, link_id, attempts, deferred_since`,
        [ids, now],
      )
      .then((r) => returnedRows<ClaimedInviteRow>(r));
  }

  /**
   * Defers claimed sends to a later attempt (the provider answered 429/5xx or could not be reached, its circuit
   * is open, or the recipient's quiet hours): only where the attempt is still the one that was claimed. Returns
   * the invites deferred, with `first` set where this is the send's first deferral.
   */
  defer(
    em: EntityManager,
    rows: { id: string; attempt: number; next_attempt_at: Date; reason: string }[],
    now: Date,
  ): Promise<(InviteRow & Pick<Row, 'recipient'> & { first: boolean })[]> {
    if (!rows.length) return Promise.resolve([]);
    return em
      .query(
        `UPDATE invites i SET delivery_status = 'deferred', next_attempt_at = x.next_attempt_at, reason = x.reason,
                deferred_since = COALESCE(i.deferred_since, $2), status_changed_at = $2
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, attempt int, next_attempt_at timestamptz, reason text)
         WHERE i.id = x.id AND i.id = ANY($3::uuid[])
           AND i.attempts = x.attempt AND i.delivery_status = 'sending' AND i.status = 'Pending'
         RETURNING ${I_ROW}, i.recipient, (i.deferred_since = $2) AS first`,
        [JSON.stringify(rows), now, rows.map((r) => r.id)],
      )
      .then((r) => returnedRows<InviteRow & Pick<Row, 'recipient'> & { first: boolean }>(r));
  }

  /** Deferred sends of a channel whose next attempt is due, oldest first, locked (one instance takes each). */
  dueDeferred(em: EntityManager, channel: string, now: Date, limit: number): Promise<DueInviteRow[]> {
    return em.query(
      `SELECT id, case_id, distribution_id, kind, channel, language, recipient, link_id, use_distribution_account
       FROM invites WHERE channel = $1 AND delivery_status = 'deferred' AND status = 'Pending' AND next_attempt_at <= $2
       ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [channel, now, limit],
    );
  }

  /**
   * Opens sends that failed for good back up for another attempt now (an operator redrives their dead letters):
   * Failed / failed and never sent. Returns the invites reopened.
   */
  reopen(em: EntityManager, ids: string[], now: Date): Promise<(InviteRow & Pick<Row, 'recipient'>)[]> {
    if (!ids.length) return Promise.resolve([]);
    return em
      .query(
        `UPDATE invites SET status = 'Pending', delivery_status = 'deferred', next_attempt_at = $2,
                deferred_since = $2, status_changed_at = $2, reason = NULL
         WHERE id = ANY($1::uuid[]) AND status = 'Failed' AND delivery_status = 'failed' AND sent_at IS NULL
         RETURNING ${ROW}, recipient`,
        [ids, now],
      )
      .then((r) => returnedRows<InviteRow & Pick<Row, 'recipient'>>(r));
  }

  /** Sends of a channel attempted before `before` whose provider answer was never recorded (a crash), locked. */
  unconfirmed(em: EntityManager, channel: string, before: Date): Promise<UnconfirmedInviteRow[]> {
    return em.query(
      `SELECT ${ROW}, recipient, link_id, attempts, attempted_at FROM invites
       WHERE channel = $1 AND delivery_status = 'sending' AND status = 'Pending'
         AND attempted_at < $2 ORDER BY attempted_at LIMIT 500 FOR UPDATE SKIP LOCKED`,
      [channel, before],
    );
  }

  /** Locks invites for a status change, in id order (no deadlocks between batches). */
  /** Which of these invites were replaced by an invite on their fallback channel. */
  async replacedByFallbacks(em: EntityManager, ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows: { fallback_of: string }[] = await em.query(
      `SELECT fallback_of FROM invites WHERE fallback_of = ANY($1::uuid[])`,
      [ids],
    );
    return new Set(rows.map((r) => r.fallback_of));
  }

  /** The language of the last message sent on each case (any distribution), for "language of last message". */
  async lastSentLanguages(em: EntityManager, caseIds: string[]): Promise<Map<string, string>> {
    if (!caseIds.length) return new Map();
    const rows: { case_id: string; language: string }[] = await em.query(
      `SELECT DISTINCT ON (case_id) case_id, language FROM invites
       WHERE case_id = ANY($1::text[]) AND sent_at IS NOT NULL ORDER BY case_id, sent_at DESC`,
      [caseIds],
    );
    return new Map(rows.map((r) => [r.case_id, r.language]));
  }

  /** Every invite of these cases, oldest first, for the rules' survey conditions. */
  forCases(
    em: EntityManager,
    caseIds: string[],
  ): Promise<
    Pick<InviteEntity, 'caseId' | 'distributionId' | 'channel' | 'kind' | 'status' | 'sentAt' | 'createdAt'>[]
  > {
    if (!caseIds.length) return Promise.resolve([]);
    return em.query(
      `SELECT case_id AS "caseId", distribution_id AS "distributionId", channel, kind, status, sent_at AS "sentAt",
              created_at AS "createdAt"
       FROM invites WHERE case_id = ANY($1::text[]) ORDER BY created_at`,
      [caseIds],
    );
  }

  async lockMany(em: EntityManager, ids: string[]): Promise<Map<string, InviteEntity>> {
    const rows: InviteRow[] = await em.query(
      `SELECT ${ROW}, recipient FROM invites WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, inviteFromRow(r)]));
  }

  /** Saves statuses; the first send time and provider message id, once known, are kept. */
  // `= ANY(ids)` beside the join: the planner then knows how many rows the batch touches and uses the primary key;
  // from the JSON record set alone it assumes 100 rows and hashes the whole table (batch-plans.medium-spec.ts).
  async saveStatuses(em: EntityManager, invites: InviteEntity[], now: Date): Promise<void> {
    if (!invites.length) return;
    await em.query(
      `UPDATE invites i SET status = x.status, delivery_status = x.delivery_status, reason = x.reason,
              status_changed_at = COALESCE(x.status_changed_at, i.status_changed_at),
              sent_at = COALESCE(i.sent_at, x.sent_at),
              provider_message_id = COALESCE(i.provider_message_id, x.provider_message_id)
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, status text, delivery_status text, reason text,
            status_changed_at timestamptz, sent_at timestamptz, provider_message_id text)
       WHERE i.id = x.id AND i.id = ANY($2::uuid[])`,
      [
        JSON.stringify(
          invites.map((i) => ({
            id: i.id,
            status: i.status,
            delivery_status: i.deliveryStatus,
            reason: i.reason,
            status_changed_at: i.statusChangedAt ?? now,
            sent_at: i.sentAt,
            provider_message_id: i.providerMessageId,
          })),
        ),
        invites.map((i) => i.id),
      ],
    );
  }

  /** The distribution of each invite that exists. */
  async distributionsOf(ids: string[], em: EntityManager = this.ds.manager): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await em
      .getRepository(InviteEntity)
      .find({ select: { id: true, distributionId: true }, where: { id: In([...new Set(ids)]) } });
    return new Map(rows.map((r) => [r.id, r.distributionId]));
  }

  /** Newest first; only invites of the given distributions when `distributionIds` is set. */
  list(
    q: { caseId?: string; distributionIds: string[] | null; limit: number },
    em: EntityManager = this.ds.manager,
  ): Promise<InviteEntity[]> {
    return em.getRepository(InviteEntity).find({
      where: {
        ...(q.caseId ? { caseId: q.caseId } : {}),
        ...(q.distributionIds ? { distributionId: In(q.distributionIds) } : {}),
      },
      order: { createdAt: 'DESC' },
      take: q.limit,
    });
  }

  /** Invitations of a distribution we sent (test sends excluded). */
  async countSentInvitations(distributionId: string): Promise<number> {
    const [r]: { n: number }[] = await this.ds.query(
      `SELECT count(*)::int AS n FROM invites i
       WHERE i.distribution_id = $1 AND i.kind = 'invitation' AND i.sent_at IS NOT NULL AND i.case_id NOT LIKE 'test-send:%'`,
      [distributionId],
    );
    return r.n;
  }

  /** Invites matching a search, newest first, a page at a time. */
  search(q: InviteSearch, em: EntityManager = this.ds.manager): Promise<InviteEntity[]> {
    const b = em.getRepository(InviteEntity).createQueryBuilder('i');
    if (q.distributionIds) b.andWhere('i.distribution_id = ANY(:scope)', { scope: q.distributionIds });
    if (q.distributionId) b.andWhere('i.distribution_id = :d', { d: q.distributionId });
    if (q.caseId) b.andWhere('i.case_id = :c', { c: q.caseId });
    if (q.recipient) b.andWhere('lower(i.recipient) = lower(:r)', { r: q.recipient });
    if (q.status) b.andWhere('i.status = :s', { s: q.status });
    if (q.reasonCode) b.andWhere(`split_part(i.reason, ':', 1) = :rc`, { rc: q.reasonCode });
    if (q.channel) b.andWhere('i.channel = :ch', { ch: q.channel });
    if (q.kind) b.andWhere('i.kind = :k', { k: q.kind });
    if (q.from) b.andWhere('i.created_at >= :from', { from: q.from });
    if (q.to) b.andWhere('i.created_at < :to', { to: q.to });
    if (q.before)
      b.andWhere('(i.created_at, i.id) < (SELECT p.created_at, p.id FROM invites p WHERE p.id = :before)', {
        before: q.before,
      });
    return b.orderBy('i.created_at', 'DESC').addOrderBy('i.id', 'DESC').take(q.limit).getMany();
  }

  findById(id: string, em: EntityManager = this.ds.manager): Promise<InviteEntity | null> {
    return em.getRepository(InviteEntity).findOneBy({ id });
  }

  /** The invites that did not go out, by outcome and reason code, for a distribution's period. */
  failures(q: {
    distributionId: string;
    from: Date;
    to: Date;
    channel?: string;
  }): Promise<{ status: string; reasonCode: string | null; channel: string; count: number }[]> {
    return this.ds.query(
      `SELECT status, nullif(split_part(reason, ':', 1), '') AS "reasonCode", channel, count(*)::int AS count
       FROM invites
       WHERE distribution_id = $1 AND created_at >= $2 AND created_at < $3 AND ($4::text IS NULL OR channel = $4)
         AND status IN ('Failed', 'Quarantined', 'Suppressed', 'Unsubscribed') AND case_id NOT LIKE 'test-send:%'
       GROUP BY 1, 2, 3 ORDER BY count DESC, 1, 2, 3`,
      [q.distributionId, q.from, q.to, q.channel ?? null],
    );
  }
}
