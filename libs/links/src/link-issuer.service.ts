import { Inject, Injectable } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig, Clock, DomainError, ErrorCode, newId, sha256 } from '@fg/common';
import type { Scalar } from '@fg/contracts';
import { OutboxService } from '@fg/messaging';
import {
  DistributionEntity,
  NewLinkRow,
  StoredLinkRow,
  SubmissionLimit,
  SurveyLinkRepository,
} from '@fg/persistence';
import { linkExpiry, whyNoLinks } from './distribution-lifecycle';
import { LinkTokens } from './link-token';

export type LinkSource = 'rule' | 'api' | 'bulk' | 'test';

/** One link wanted: for a case, a contact, or both, with the values it binds (see `boundData`). */
export interface LinkSpec {
  caseId?: string | null;
  contactId?: string | null;
  data: Record<string, Scalar>;
  language: string;
  correlationId?: string;
  /** The rule whose action asks for it. */
  ruleId?: string;
}

/** One completion per case unless the distribution sets a limit (per-case CSAT must not double-count). */
export const ONE_ANSWER: SubmissionLimit = { allowed: 1, reset: null };

/**
 * The submission limit frozen on a link: single-use when asked; else the distribution's; else, for a link of a
 * case, one completion (a second visit shows "already answered"); else none (a shared or segment link).
 */
export function submissionLimitOf(
  dist: Pick<DistributionEntity, 'submissionLimit'>,
  spec: Pick<LinkSpec, 'caseId'>,
  singleUse?: boolean,
): SubmissionLimit | null {
  if (singleUse) return ONE_ANSWER;
  if (dist.submissionLimit) return dist.submissionLimit;
  return spec.caseId ? ONE_ANSWER : null;
}

export interface IssuedLink {
  linkId: string;
  caseId: string | null;
  contactId: string | null;
  url: string;
  language: string;
  data: Record<string, Scalar>;
  expiresAt: Date | null;
  created: boolean;
}

/**
 * The one link issuer, for cases (rules and the API), contacts (the API), segments (bulk) and test sends:
 * tokens, the distribution's lifecycle, expiry and submission limit, uniqueness, and `link.issued` all in one
 * place.
 *
 * - A case has one link per distribution: asked again with the same contact and data, the same link comes back;
 *   with another contact or other data, a 409 says so (the first link stays as it was issued).
 * - Running a segment again hands out the same bulk links; API calls without a case get a new link each.
 * - Test links are marked `test` (left out of stats and exports) and expire within a day.
 */
/** A stored reference to a link, in place of its URL. */
export const linkRef = (linkId: string) => `fg-link:${linkId}`;
const LINK_REF = /fg-link:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/g;

@Injectable()
export class LinkIssuer {
  private readonly tokens: LinkTokens;

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly clock: Clock,
    private readonly links: SurveyLinkRepository,
    private readonly outbox: OutboxService,
  ) {
    this.tokens = new LinkTokens(cfg.LINK_SIGNING_SECRET);
  }

  /** Throws a DomainError (409) when no links can be issued for the distribution now; see `whyNoLinks`. */
  requireUsable(d: DistributionEntity | null | undefined, id: string): DistributionEntity {
    const why = whyNoLinks(d, id, this.clock.now());
    if (why)
      throw new DomainError(d ? ErrorCode.CONFLICT : ErrorCode.NOT_FOUND, why, {
        code: why.split(':')[0],
      });
    return d!;
  }

  /** The URL of a stored link (the token is derived again from its nonce; it is never stored). */
  urlOf(row: Pick<StoredLinkRow, 'token_nonce'>): string {
    return this.tokens.url(this.cfg.PUBLIC_BASE_URL, this.tokens.tokenFor(row.token_nonce));
  }

  /**
   * Text with every `fg-link:<id>` reference (what we store where a link would otherwise sit in plain text: case
   * custom fields, kept sandbox messages, idempotent replies) replaced by the link's URL, derived again from its
   * nonce and LINK_SIGNING_SECRET. A database dump alone holds no working link. Unknown ids stay as they are.
   */
  /**
   * The inverse, for what we keep: each URL of one of our links in `value` (any JSON) replaced by its reference.
   * URLs that are not ours, or whose token matches no link, stay as they are.
   */
  async refsOf<T>(value: T): Promise<T> {
    const text = JSON.stringify(value);
    if (text === undefined) return value;
    const base = this.cfg.PUBLIC_BASE_URL.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pattern = new RegExp(`${base}${LinkTokens.PATH_PREFIX}([A-Za-z0-9_-]{${LinkTokens.LENGTH}})`, 'g');
    const tokens = [...new Set([...text.matchAll(pattern)].map((m) => m[1]))];
    if (!tokens.length) return value;
    const ids = new Map<string, string>();
    for (const t of tokens) {
      const link = await this.links.findByTokenHash(sha256(t));
      if (link) ids.set(t, link.id);
    }
    return JSON.parse(
      text.replace(pattern, (url, t: string) => (ids.has(t) ? linkRef(ids.get(t)!) : url)),
    ) as T;
  }

  async resolveRefs<T>(value: T, em: EntityManager | null = null): Promise<T> {
    const text = JSON.stringify(value);
    if (text === undefined) return value;
    const ids = [...new Set([...text.matchAll(LINK_REF)].map((m) => m[1]))];
    if (!ids.length) return value;
    const urls = new Map((await this.links.findManyById(em, ids)).map((r) => [r.id, this.urlOf(r)]));
    return JSON.parse(text.replace(LINK_REF, (ref, id: string) => urls.get(id) ?? ref)) as T;
  }

  async issue(
    em: EntityManager,
    dist: DistributionEntity,
    source: LinkSource,
    specs: LinkSpec[],
    o: { expiresAt?: Date | null; singleUse?: boolean } = {},
  ): Promise<IssuedLink[]> {
    if (!specs.length) return [];
    const now = this.clock.now();
    const expiry =
      o.expiresAt !== undefined
        ? { expiresAt: o.expiresAt, afterSeconds: null }
        : linkExpiry(dist, now, source !== 'rule', source === 'test');
    const rows: NewLinkRow[] = specs.map((s) => {
      const limit = submissionLimitOf(dist, s, o.singleUse);
      const nonce = this.tokens.newNonce();
      return {
        id: newId(),
        distribution_id: dist.id,
        case_id: s.caseId ?? null,
        contact_id: s.contactId ?? null,
        source,
        rule_id: s.ruleId ?? null,
        token_hash: this.tokens.hash(this.tokens.tokenFor(nonce)),
        nonce: nonce.toString('hex'),
        transaction_data: s.data,
        language: s.language,
        starts_at: dist.startsAt,
        expires_at: expiry.expiresAt,
        expires_after_seconds: expiry.afterSeconds,
        submission_limit: limit,
        created_at: now,
      };
    });
    const created = await this.links.insertMany(em, rows);
    const stored = await this.findIssued(em, dist.id, source, rows, created);
    const out = specs.map((spec, i) => {
      const row = stored[i];
      if (!row)
        throw new Error(
          `link for ${JSON.stringify(spec.caseId ?? spec.contactId)} neither inserted nor found`,
        );
      if (source === 'api' && spec.caseId && !created.has(row.id)) this.requireSameLink(row, spec);
      return {
        linkId: row.id,
        caseId: row.case_id,
        contactId: row.contact_id,
        url: this.urlOf(row),
        language: row.language,
        data: row.transaction_data,
        expiresAt: row.expires_at,
        created: created.has(row.id),
      };
    });
    if (source === 'rule')
      for (const [i, l] of out.entries())
        if (l.created)
          this.outbox.add(em, {
            topic: 'linkIssued',
            key: l.caseId ?? l.linkId,
            correlationId: specs[i].correlationId,
            data: {
              linkId: l.linkId,
              caseId: l.caseId ?? '',
              distributionId: dist.id,
              url: l.url,
              expiresAt: l.expiresAt?.toISOString() ?? null,
            },
          });
    return out;
  }

  /** The stored link for each wanted one, in order: the one inserted, or the one already there. */
  private async findIssued(
    em: EntityManager,
    distributionId: string,
    source: LinkSource,
    rows: NewLinkRow[],
    created: Set<string>,
  ): Promise<(StoredLinkRow | undefined)[]> {
    const byCase = rows.filter((r) => r.case_id && !created.has(r.id));
    const byContact = rows.filter((r) => source === 'bulk' && r.contact_id && !created.has(r.id));
    const [mine, cases, bulk] = await Promise.all([
      this.links.findManyById(em, [...created]),
      byCase.length
        ? this.links.findForCases(
            em,
            byCase.map((r) => ({ distributionId, caseId: r.case_id! })),
          )
        : [],
      byContact.length
        ? this.links.findBulk(
            em,
            distributionId,
            byContact.map((r) => r.contact_id!),
          )
        : [],
    ]);
    const ids = new Map(mine.map((r) => [r.id, r]));
    const caseLinks = new Map(cases.map((r) => [r.case_id, r]));
    const contactLinks = new Map(bulk.map((r) => [r.contact_id, r]));
    return rows.map(
      (r) =>
        ids.get(r.id) ??
        (source === 'bulk' ? contactLinks.get(r.contact_id) : undefined) ??
        (r.case_id ? caseLinks.get(r.case_id) : undefined),
    );
  }

  /** A case's existing link answers a repeated request only when it is for the same contact and data. */
  private requireSameLink(row: StoredLinkRow, spec: LinkSpec) {
    const other =
      row.contact_id !== (spec.contactId ?? null)
        ? row.contact_id
          ? 'another contact'
          : `a ${row.source === 'rule' ? 'rule' : row.source} (no contact)`
        : !isDeepStrictEqual(row.transaction_data, spec.data)
          ? 'other data'
          : null;
    if (other)
      throw new DomainError(
        ErrorCode.CONFLICT,
        `case ${row.case_id} already has a link for this distribution, issued for ${other}; links keep what they were issued with`,
        { linkId: row.id, caseId: row.case_id },
      );
  }
}
