import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '@fg/common';
import { own, type Scalar } from '@fg/contracts';
import {
  CaseEntity,
  CaseRepository,
  DistributionEntity,
  DistributionRepository,
  ReferenceCache,
  readThrough,
  InviteRepository,
} from '@fg/persistence';
import { LinkIssuer, boundData, linkRef, whyNoLinks } from '@fg/links';
import { OutboxService } from '@fg/messaging';

export interface IssuedLink {
  link: { id: string; language: string; transactionData: Record<string, Scalar>; expiresAt: Date | null };
  url: string;
  created: boolean;
}

export interface LinkRequest {
  distribution: DistributionEntity;
  kase: CaseEntity;
  language?: string;
  correlationId: string;
  ruleId?: string;
}

export const pairKey = (distributionId: string, caseId: string) => `${distributionId}|${caseId}`;

@Injectable()
export class LinkService {
  constructor(
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
    private readonly issuer: LinkIssuer,
    private readonly caseRows: CaseRepository,
    private readonly distributions: DistributionRepository,
    private readonly invites: InviteRepository,
    private readonly cache?: ReferenceCache,
  ) {}

  async loadDistributions(em: EntityManager, ids: string[]): Promise<Map<string, DistributionEntity>> {
    const unique = [...new Set(ids)].sort();
    const rows = await readThrough(this.cache, 'distributions', unique.join(','), () =>
      this.distributions.findMany(unique, em),
    );
    return new Map(rows.map((d) => [d.id, d]));
  }

  async loadCases(em: EntityManager, ids: string[]): Promise<Map<string, CaseEntity>> {
    const rows = await this.caseRows.findMany(ids, em);
    return new Map(rows.map((c) => [c.id, c]));
  }

  /** The language of the last message sent on each case (any distribution), for "language of last message". */
  async lastMessageLanguages(em: EntityManager, caseIds: string[]): Promise<Map<string, string>> {
    return this.invites.lastSentLanguages(em, caseIds);
  }

  /** Why an action can't be done for this distribution now (its lifecycle on the injected clock), or null. */
  unusable(d: DistributionEntity | undefined, id: string): string | null {
    return whyNoLinks(d, id, this.clock.now());
  }

  /**
   * The one link of each (distribution, case), from the one link issuer: created on first request, the same link
   * on every later or concurrent one. The case's data is bound to it now.
   */
  async ensureLinks(em: EntityManager, requests: LinkRequest[]): Promise<Map<string, IssuedLink>> {
    const byDistribution = new Map<string, Map<string, LinkRequest>>();
    for (const r of requests) {
      const group = byDistribution.get(r.distribution.id) ?? new Map<string, LinkRequest>();
      if (!group.has(r.kase.id)) group.set(r.kase.id, r);
      byDistribution.set(r.distribution.id, group);
    }
    const out = new Map<string, IssuedLink>();
    for (const group of byDistribution.values()) {
      const wanted = [...group.values()];
      const dist = wanted[0].distribution;
      const issued = await this.issuer.issue(
        em,
        dist,
        'rule',
        wanted.map(({ kase, language, correlationId, ruleId }) => ({
          caseId: kase.id,
          data: boundData(
            {
              caseId: kase.id,
              caseNumber: kase.caseNumber,
              fields: kase.fields,
              customFields: kase.customFields,
              contact: kase.contact,
            },
            dist,
          ),
          language: language ?? kase.contact?.language ?? str(kase.fields.language) ?? dist.defaultLanguage,
          correlationId,
          ruleId,
        })),
      );
      issued.forEach((l, i) =>
        out.set(pairKey(dist.id, wanted[i].kase.id), {
          link: { id: l.linkId, language: l.language, transactionData: l.data, expiresAt: l.expiresAt },
          url: l.url,
          created: l.created,
        }),
      );
    }
    return out;
  }

  /**
   * Writes each link into the case custom field its action names, and tells the CRM to do the same. Our copy holds
   * a reference (`fg-link:<id>`, shown as the URL by the ops API), never the working URL; the CRM gets the URL.
   */
  async writeLinkFields(
    em: EntityManager,
    writes: { kase: CaseEntity; field: string; url: string; linkId: string; correlationId: string }[],
  ): Promise<void> {
    const patches = new Map<string, Record<string, string>>();
    for (const w of writes) {
      const ref = linkRef(w.linkId);
      if (own(w.kase.customFields, w.field) === ref) continue;
      w.kase.customFields = { ...w.kase.customFields, [w.field]: ref };
      patches.set(w.kase.id, { ...(patches.get(w.kase.id) ?? {}), [w.field]: ref });
      this.outbox.add(em, {
        topic: 'caseFieldUpdates',
        key: w.kase.id,
        correlationId: w.correlationId,
        data: { caseId: w.kase.id, field: w.field, value: w.url, reason: 'survey_link_issued' },
      });
    }
    await this.caseRows.patchCustomFields(
      em,
      [...patches].map(([id, patch]) => ({ id, patch })),
    );
  }
}

function str(v: Scalar | undefined): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}
