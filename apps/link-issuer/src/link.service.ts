import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { APP_CONFIG, AppConfig, Clock, newId } from '@fg/common';
import type { Scalar } from '@fg/contracts';
import { CaseEntity, DistributionEntity, SurveyLinkEntity } from '@fg/persistence';
import { LinkTokens, expiryFrom, transactionData } from '@fg/invites';
import { OutboxService } from '@fg/messaging';

export interface IssuedLink {
  link: SurveyLinkEntity;
  url: string;
  created: boolean;
}

export interface LinkRequest {
  distribution: DistributionEntity;
  kase: CaseEntity;
  language?: string;
  correlationId: string;
}

interface LinkRow {
  id: string;
  distribution_id: string;
  case_id: string;
  token_nonce: Buffer;
  transaction_data: Record<string, Scalar>;
  language: string;
  starts_at: Date | null;
  expires_at: Date | null;
  created_at: Date;
}

export const pairKey = (distributionId: string, caseId: string) => `${distributionId}|${caseId}`;

@Injectable()
export class LinkService {
  private readonly tokens: LinkTokens;

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
  ) {
    this.tokens = new LinkTokens(cfg.LINK_SIGNING_SECRET);
  }

  async loadDistributions(em: EntityManager, ids: string[]): Promise<Map<string, DistributionEntity>> {
    const rows = await em.getRepository(DistributionEntity).findBy({ id: In(ids) });
    return new Map(rows.map((d) => [d.id, d]));
  }

  async loadCases(em: EntityManager, ids: string[]): Promise<Map<string, CaseEntity>> {
    const rows = await em.getRepository(CaseEntity).findBy({ id: In(ids) });
    return new Map(rows.map((c) => [c.id, c]));
  }

  /** The language of the last message sent on each case (any distribution), for "language of last message". */
  async lastMessageLanguages(em: EntityManager, caseIds: string[]): Promise<Map<string, string>> {
    if (!caseIds.length) return new Map();
    const rows: { case_id: string; language: string }[] = await em.query(
      `SELECT DISTINCT ON (case_id) case_id, language FROM invites
       WHERE case_id = ANY($1::text[]) AND sent_at IS NOT NULL ORDER BY case_id, sent_at DESC`,
      [caseIds],
    );
    return new Map(rows.map((r) => [r.case_id, r.language]));
  }

  /** Why an action can't be done for this distribution, or null. */
  static unusable(d: DistributionEntity | undefined, id: string): string | null {
    if (!d) return `DISTRIBUTION_NOT_FOUND: distribution ${id} does not exist`;
    if (d.status === 'failed' || d.status === 'expired')
      return `DISTRIBUTION_${d.status.toUpperCase()}: distribution ${id} is ${d.status}; no links are issued for it`;
    return null;
  }

  /**
   * The one link of each (distribution, case): created on first request, the same link on every later or
   * concurrent one (the unique index decides; losers read the winner's row). Case data is bound to it now.
   */
  async ensureLinks(em: EntityManager, requests: LinkRequest[]): Promise<Map<string, IssuedLink>> {
    const now = this.clock.now();
    const unique = new Map<string, LinkRequest>();
    for (const r of requests) {
      const k = pairKey(r.distribution.id, r.kase.id);
      if (!unique.has(k)) unique.set(k, r);
    }
    const inserts = [...unique.values()].map(({ distribution: d, kase, language }) => {
      const nonce = this.tokens.newNonce();
      return {
        id: newId(),
        distribution_id: d.id,
        case_id: kase.id,
        token_hash: this.tokens.hash(this.tokens.tokenFor(nonce)),
        nonce: nonce.toString('hex'),
        transaction_data: transactionData(kase, d),
        language: language ?? kase.contact?.language ?? str(kase.fields.language) ?? d.defaultLanguage,
        starts_at: d.startsAt,
        expires_at: expiryFrom(d.expiry, now),
        submission_limit: d.submissionLimit,
        created_at: now,
      };
    });
    const inserted: { id: string }[] = await em.query(
      `INSERT INTO survey_links (id, distribution_id, case_id, token_hash, token_nonce, transaction_data, language,
                                 starts_at, expires_at, submission_limit, created_at)
       SELECT x.id, x.distribution_id, x.case_id, x.token_hash, decode(x.nonce, 'hex'), x.transaction_data,
              x.language, x.starts_at, x.expires_at, x.submission_limit, x.created_at
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, distribution_id uuid, case_id text, token_hash text,
            nonce text, transaction_data jsonb, language text, starts_at timestamptz, expires_at timestamptz,
            submission_limit jsonb, created_at timestamptz)
       ON CONFLICT (distribution_id, case_id) WHERE case_id IS NOT NULL DO NOTHING RETURNING id`,
      [JSON.stringify(inserts)],
    );
    const created = new Set(inserted.map((r) => r.id));
    const rows: LinkRow[] = await em.query(
      `SELECT l.id, l.distribution_id, l.case_id, l.token_nonce, l.transaction_data, l.language, l.starts_at,
              l.expires_at, l.created_at
       FROM survey_links l JOIN unnest($1::uuid[], $2::text[]) AS p(d, c) ON l.distribution_id = p.d AND l.case_id = p.c`,
      [inserts.map((i) => i.distribution_id), inserts.map((i) => i.case_id)],
    );
    const out = new Map<string, IssuedLink>();
    for (const row of rows) {
      const link = Object.assign(new SurveyLinkEntity(), {
        id: row.id,
        distributionId: row.distribution_id,
        caseId: row.case_id,
        tokenNonce: row.token_nonce,
        transactionData: row.transaction_data,
        language: row.language,
        startsAt: row.starts_at,
        expiresAt: row.expires_at,
        createdAt: row.created_at,
      });
      const url = this.tokens.url(this.cfg.PUBLIC_BASE_URL, this.tokens.tokenFor(row.token_nonce));
      const k = pairKey(row.distribution_id, row.case_id);
      out.set(k, { link, url, created: created.has(row.id) });
      if (created.has(row.id)) {
        this.outbox.add(em, {
          topic: 'linkIssued',
          key: row.case_id,
          correlationId: unique.get(k)!.correlationId,
          data: {
            linkId: row.id,
            caseId: row.case_id,
            distributionId: row.distribution_id,
            url,
            expiresAt: row.expires_at?.toISOString() ?? null,
          },
        });
      }
    }
    return out;
  }

  /** Writes each link into the case custom field its action names, and tells the CRM to do the same. */
  async writeLinkFields(
    em: EntityManager,
    writes: { kase: CaseEntity; field: string; url: string; correlationId: string }[],
  ): Promise<void> {
    const patches = new Map<string, Record<string, string>>();
    for (const w of writes) {
      if (w.kase.customFields[w.field] === w.url) continue;
      w.kase.customFields = { ...w.kase.customFields, [w.field]: w.url };
      patches.set(w.kase.id, { ...(patches.get(w.kase.id) ?? {}), [w.field]: w.url });
      this.outbox.add(em, {
        topic: 'caseFieldUpdates',
        key: w.kase.id,
        correlationId: w.correlationId,
        data: { caseId: w.kase.id, field: w.field, value: w.url, reason: 'survey_link_issued' },
      });
    }
    if (!patches.size) return;
    await em.query(
      `UPDATE cases c SET custom_fields = c.custom_fields || x.patch, updated_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, patch jsonb) WHERE c.id = x.id`,
      [JSON.stringify([...patches].map(([id, patch]) => ({ id, patch })))],
    );
  }
}

function str(v: Scalar | undefined): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}
