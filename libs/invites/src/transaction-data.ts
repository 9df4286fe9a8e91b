import type { Scalar } from '@fg/contracts';
import type { CaseEntity, DistributionEntity } from '@fg/persistence';

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
