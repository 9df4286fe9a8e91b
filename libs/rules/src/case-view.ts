import type { CaseEventData, Scalar } from '@fg/contracts';
import { CaseView } from './condition-evaluator';

/**
 * The case as it is after an event, what it was before, and which fields changed. `previous` in the event
 * wins; otherwise changes are computed against the stored snapshot; a case never seen before has every field
 * it carries changed.
 */
export function caseView(
  data: Pick<CaseEventData, 'fields' | 'customFields' | 'previous'>,
  stored: { fields: Record<string, Scalar>; customFields: Record<string, Scalar> } | null,
): CaseView {
  const fields = { ...(stored?.fields ?? {}), ...data.fields };
  const customFields = { ...(stored?.customFields ?? {}), ...data.customFields };
  const previous: Record<string, Scalar | undefined> = {};
  const changed = new Set<string>();
  const consider = (ref: string, now: Scalar | undefined, before: Scalar | undefined, known: boolean) => {
    previous[ref] = before;
    if (!known || before !== now) changed.add(ref);
  };
  for (const [k, v] of Object.entries(data.fields)) {
    if (data.previous && k in data.previous) consider(k, v, data.previous[k], true);
    else consider(k, v, stored?.fields[k], stored !== null);
  }
  for (const [k, v] of Object.entries(data.customFields)) {
    const ref = `custom.${k}`;
    if (data.previous && ref in data.previous) consider(ref, v, data.previous[ref], true);
    else consider(ref, v, stored?.customFields[k], stored !== null);
  }
  return { fields, customFields, previous, changed };
}
