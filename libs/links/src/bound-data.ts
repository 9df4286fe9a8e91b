import type { Scalar } from '@fg/contracts';
import type { DistributionEntity } from '@fg/persistence';

/** Who a link is for, from a case (its snapshot) or a contact (the contact store); both shapes fit. */
export interface BindingSubject {
  caseId?: string | null;
  caseNumber?: string | null;
  fields?: Record<string, Scalar>;
  customFields?: Record<string, Scalar>;
  contact?: {
    /** Your id for the person (the CRM's contact id, or the contact's custom id). */
    id?: string | null;
    name?: string | null;
    firstName?: string | null;
    lastName?: string | null;
    email?: string | null;
    phone?: string | null;
    attributes?: Record<string, Scalar>;
  } | null;
}

/**
 * The one builder of the values a link binds, frozen when it is issued: the case's fields and custom fields, the
 * caller's transaction data, the distribution's tags, then the case and customer fields every template may use
 * (`case_id`, `case_number`, `customer_name`, `customer_first_name`, `customer_last_name`, `customer_email`,
 * `customer_phone`, `customer_id`) and the profile attributes as `profile_<name>`. Later keys win.
 */
export function boundData(
  s: BindingSubject,
  dist: Pick<DistributionEntity, 'tags'>,
  extra: Record<string, Scalar> = {},
): Record<string, Scalar> {
  const c = s.contact ?? {};
  const [first, ...rest] = (c.name ?? '').trim().split(/\s+/).filter(Boolean);
  const firstName = c.firstName ?? first ?? null;
  const lastName = c.lastName ?? (rest.length ? rest.join(' ') : null);
  const name = c.name?.trim() || [firstName, lastName].filter(Boolean).join(' ') || null;
  return {
    ...(s.customFields ?? {}),
    ...(s.fields ?? {}),
    ...extra,
    ...dist.tags,
    ...(s.caseId ? { case_id: s.caseId, case_number: s.caseNumber ?? s.caseId } : {}),
    customer_name: name,
    customer_first_name: firstName,
    customer_last_name: lastName,
    customer_email: c.email ?? null,
    customer_phone: c.phone ?? null,
    customer_id: c.id ?? null,
    ...Object.fromEntries(Object.entries(c.attributes ?? {}).map(([k, v]) => [`profile_${k}`, v])),
  };
}
