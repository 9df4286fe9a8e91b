import type { Scalar } from '@fg/contracts';
import type { CaseEntity, DistributionEntity, ExpiryConfig } from '@fg/persistence';

/** The values the link's messages and pages may use, frozen when the link is issued. */
export function transactionData(
  kase: Pick<CaseEntity, 'id' | 'caseNumber' | 'fields' | 'customFields' | 'contact'>,
  dist: Pick<DistributionEntity, 'tags'>,
): Record<string, Scalar> {
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
    // Profile attributes: {{profile_tier}}, {{profile_work_email}}, …
    ...Object.fromEntries(Object.entries(c.attributes ?? {}).map(([k, v]) => [`profile_${k}`, v])),
  };
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
