import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig, Clock, DomainError, ErrorCode, newId } from '@fg/common';
import type { Scalar, SurveyActionRequested } from '@fg/contracts';
import { CaseEntity, DistributionEntity, ExpiryConfig, SurveyLinkEntity } from '@fg/persistence';
import { LinkTokens } from '@fg/invites';
import { OutboxService } from '@fg/messaging';

export interface IssuedLink {
  link: SurveyLinkEntity;
  url: string;
  created: boolean;
}

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

  async loadDistribution(em: EntityManager, id: string): Promise<DistributionEntity> {
    const d = await em.getRepository(DistributionEntity).findOne({ where: { id } });
    if (!d) throw new DomainError(ErrorCode.NOT_FOUND, `distribution ${id} does not exist`);
    if (d.status === 'failed' || d.status === 'expired')
      throw new DomainError(
        ErrorCode.CONFLICT,
        `distribution ${id} is ${d.status}; no links are issued for it`,
      );
    return d;
  }

  async loadCase(em: EntityManager, id: string): Promise<CaseEntity> {
    const c = await em.getRepository(CaseEntity).findOne({ where: { id } });
    if (!c) throw new DomainError(ErrorCode.NOT_FOUND, `case ${id} is unknown`);
    return c;
  }

  /**
   * The one link of (distribution, case): created on first request, the same link on every later or
   * concurrent one (the unique index decides; the loser reads the winner's row). Case data is bound to it now.
   */
  async ensureLink(
    em: EntityManager,
    dist: DistributionEntity,
    kase: CaseEntity,
    action: Pick<SurveyActionRequested, 'linkField' | 'language'>,
  ): Promise<IssuedLink> {
    const now = this.clock.now();
    const nonce = this.tokens.newNonce();
    const token = this.tokens.tokenFor(nonce);
    const language =
      action.language ?? kase.contact?.language ?? str(kase.fields.language) ?? dist.defaultLanguage;
    const expiresAt = expiryFrom(dist.expiry, now);
    const inserted: { id: string }[] = await em.query(
      `INSERT INTO survey_links (id, distribution_id, case_id, token_hash, token_nonce, transaction_data, language,
                                 starts_at, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)
       ON CONFLICT (distribution_id, case_id) WHERE case_id IS NOT NULL DO NOTHING RETURNING id`,
      [
        newId(),
        dist.id,
        kase.id,
        this.tokens.hash(token),
        nonce,
        JSON.stringify(transactionData(kase, dist)),
        language,
        dist.startsAt,
        expiresAt,
        now,
      ],
    );
    const link = await em
      .getRepository(SurveyLinkEntity)
      .findOneOrFail({ where: { distributionId: dist.id, caseId: kase.id } });
    const url = this.tokens.url(this.cfg.PUBLIC_BASE_URL, this.tokens.tokenFor(link.tokenNonce));
    const created = inserted.length > 0;
    if (created) {
      this.outbox.add(em, {
        topic: 'linkIssued',
        key: kase.id,
        data: {
          linkId: link.id,
          caseId: kase.id,
          distributionId: dist.id,
          url,
          expiresAt: link.expiresAt?.toISOString() ?? null,
        },
      });
    }
    if (action.linkField && kase.customFields[action.linkField] !== url) {
      await em.query(
        `UPDATE cases SET custom_fields = jsonb_set(custom_fields, ARRAY[$2::text], to_jsonb($3::text)), updated_at = now()
         WHERE id = $1`,
        [kase.id, action.linkField, url],
      );
      kase.customFields = { ...kase.customFields, [action.linkField]: url };
      this.outbox.add(em, {
        topic: 'caseFieldUpdates',
        key: kase.id,
        data: { caseId: kase.id, field: action.linkField, value: url, reason: 'survey_link_issued' },
      });
    }
    return { link, url, created };
  }
}

function str(v: Scalar | undefined): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

/** An absolute UTC instant, computed here, never by the client. */
export function expiryFrom(e: ExpiryConfig, now: Date): Date | null {
  switch (e.mode) {
    case 'none':
      return null;
    case 'static':
      return new Date(e.at);
    case 'dynamic':
      return new Date(now.getTime() + e.amount * (e.unit === 'hours' ? 3_600_000 : 86_400_000));
  }
}

/** The values the link's messages and pages may use, frozen when the link is issued. */
export function transactionData(kase: CaseEntity, dist: DistributionEntity): Record<string, Scalar> {
  const c = kase.contact ?? {};
  return {
    ...kase.customFields,
    ...kase.fields,
    ...dist.tags,
    case_id: kase.id,
    case_number: kase.caseNumber ?? kase.id,
    customer_name: c.name ?? null,
    customer_first_name: c.name ? c.name.split(/\s+/)[0] : null,
    customer_email: c.email ?? null,
    customer_phone: c.phone ?? null,
    customer_id: c.id ?? null,
  };
}
