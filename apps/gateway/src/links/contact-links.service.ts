import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig, Clock, newId } from '@fg/common';
import type { Scalar } from '@fg/contracts';
import { DistributionEntity } from '@fg/persistence';
import { LinkTokens } from '@fg/invites';

export interface ContactRow {
  id: string;
  custom_id: string | null;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  language: string | null;
  attributes: Record<string, Scalar>;
}

export interface ContactLink {
  linkId: string;
  contactId: string;
  url: string;
  expiresAt: Date | null;
  created: boolean;
}

/** The values a contact's link binds: the contact, its profile attributes, the distribution tags, the caller's data. */
export function contactData(
  c: ContactRow,
  dist: Pick<DistributionEntity, 'tags'>,
  extra: Record<string, Scalar> = {},
) {
  const name = [c.first_name, c.last_name].filter(Boolean).join(' ') || null;
  return {
    ...extra,
    ...dist.tags,
    customer_id: c.custom_id ?? c.id,
    customer_name: name,
    customer_first_name: c.first_name,
    customer_last_name: c.last_name,
    customer_email: c.email,
    customer_phone: c.phone,
    ...Object.fromEntries(Object.entries(c.attributes ?? {}).map(([k, v]) => [`profile_${k}`, v])),
  };
}

/** Personalized links for contacts (not cases): the one-call API and bulk links. */
@Injectable()
export class ContactLinksService {
  private readonly tokens: LinkTokens;

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly clock: Clock,
  ) {
    this.tokens = new LinkTokens(cfg.LINK_SIGNING_SECRET);
  }

  /**
   * Issues links in one statement. `bulk`: one link per (distribution, contact), so running the same segment
   * again hands out the same links; otherwise every call is its own transaction and gets its own link.
   */
  async issue(
    em: EntityManager,
    dist: DistributionEntity,
    contacts: ContactRow[],
    o: {
      source: 'api' | 'bulk';
      caseId?: string;
      expiresAt: Date | null;
      singleUse: boolean;
      language?: string;
      data?: Record<string, Scalar>;
    },
  ): Promise<ContactLink[]> {
    if (!contacts.length) return [];
    const now = this.clock.now();
    const rows = contacts.map((c) => {
      const nonce = this.tokens.newNonce();
      return {
        id: newId(),
        contact_id: c.id,
        token_hash: this.tokens.hash(this.tokens.tokenFor(nonce)),
        nonce: nonce.toString('hex'),
        transaction_data: contactData(c, dist, o.data),
        language: o.language ?? c.language ?? dist.defaultLanguage,
      };
    });
    const limit = o.singleUse ? { allowed: 1, reset: null } : dist.submissionLimit;
    const inserted: { id: string }[] = await em.query(
      `INSERT INTO survey_links (id, distribution_id, case_id, contact_id, source, token_hash, token_nonce, transaction_data,
                                 language, starts_at, expires_at, submission_limit, created_at)
       SELECT x.id, $2, $3, x.contact_id, $4, x.token_hash, decode(x.nonce, 'hex'), x.transaction_data, x.language,
              $5, $6, $7::jsonb, $8
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, contact_id uuid, token_hash text, nonce text,
            transaction_data jsonb, language text)
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        JSON.stringify(rows),
        dist.id,
        o.caseId ?? null,
        o.source,
        dist.startsAt,
        o.expiresAt,
        limit ? JSON.stringify(limit) : null,
        now,
      ],
    );
    const created = new Set(inserted.map((r) => r.id));
    const found: { id: string; contact_id: string; token_nonce: Buffer; expires_at: Date | null }[] =
      o.source === 'bulk'
        ? await em.query(
            `SELECT id, contact_id, token_nonce, expires_at FROM survey_links
             WHERE distribution_id = $1 AND source = 'bulk' AND contact_id = ANY($2::uuid[])`,
            [dist.id, contacts.map((c) => c.id)],
          )
        : o.caseId
          ? await em.query(
              `SELECT id, contact_id, token_nonce, expires_at FROM survey_links WHERE distribution_id = $1 AND case_id = $2`,
              [dist.id, o.caseId],
            )
          : await em.query(
              `SELECT id, contact_id, token_nonce, expires_at FROM survey_links WHERE id = ANY($1::uuid[])`,
              [[...created]],
            );
    return found.map((f) => ({
      linkId: f.id,
      contactId: f.contact_id,
      url: this.tokens.url(this.cfg.PUBLIC_BASE_URL, this.tokens.tokenFor(f.token_nonce)),
      expiresAt: f.expires_at,
      created: created.has(f.id),
    }));
  }
}
