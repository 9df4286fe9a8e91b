import { LIMITS, own } from '@fg/contracts';
import type { Channel, InviteStatus, ResponseStatus, Scalar } from '@fg/contracts';
import { Condition, FieldCondition, NO_INVITE, SurveyCondition, durationMs } from './rule-definition';

/** What a rule can see of the case's surveys: its invites and its links' response statuses. */
export interface SurveyState {
  invites: {
    distributionId: string;
    channel: Channel;
    kind: 'invitation' | 'reminder' | 'thank_you';
    status: InviteStatus;
    sentAt: Date | null;
    createdAt: Date;
  }[];
  responses: { distributionId: string; status: ResponseStatus }[];
}

export const NO_SURVEY_STATE: SurveyState = { invites: [], responses: [] };

export interface CaseView {
  fields: Record<string, Scalar>;
  customFields: Record<string, Scalar>;
  /** Values before this change, keyed like field refs (`status`, `custom.x`); absent key = unknown/unchanged. */
  previous: Record<string, Scalar | undefined>;
  /** Field refs whose value changed with this event. */
  changed: Set<string>;
  /** The case's survey state when the rule is evaluated (survey conditions). */
  survey?: SurveyState;
  /** The evaluation's "now" (survey last-sent conditions). */
  now?: Date;
}

export interface ConditionTrace {
  condition: string;
  result: boolean;
  saw?: { value: Scalar | undefined; previous?: Scalar | undefined; threshold?: string };
  children?: ConditionTrace[];
}

export function readField(c: Pick<CaseView, 'fields' | 'customFields'>, ref: string): Scalar | undefined {
  return ref.startsWith('custom.') ? own(c.customFields, ref.slice(7)) : own(c.fields, ref);
}

/** Evaluates a condition tree and returns every leaf with the values it saw, for the evaluation trace. */
export function evaluate(cond: Condition, c: CaseView): ConditionTrace {
  if ('all' in cond) {
    const children = cond.all.map((x) => evaluate(x, c));
    return { condition: 'all', result: children.every((x) => x.result), children };
  }
  if ('any' in cond) {
    const children = cond.any.map((x) => evaluate(x, c));
    return { condition: 'any', result: children.some((x) => x.result), children };
  }
  if ('not' in cond) {
    const child = evaluate(cond.not, c);
    return { condition: 'not', result: !child.result, children: [child] };
  }
  if ('survey' in cond) return evaluateSurvey(cond, c);
  return evaluateField(cond, c);
}

/** The latest invitation or reminder of a distribution (on a channel, if named) on this case. */
function invitesOf(s: SurveyState, distributionId: string, ch?: Channel) {
  return s.invites.filter(
    (i) => i.distributionId === distributionId && i.kind !== 'thank_you' && (!ch || i.channel === ch),
  );
}

function evaluateSurvey(cond: SurveyCondition, c: CaseView): ConditionTrace {
  const s = c.survey ?? NO_SURVEY_STATE;
  const on = `${cond.distributionId}${'channel' in cond && cond.channel ? `/${cond.channel}` : ''}`;
  switch (cond.survey) {
    case 'invite_status': {
      const latest = invitesOf(s, cond.distributionId, cond.channel).sort(
        (a, b) => a.createdAt.getTime() - b.createdAt.getTime(),
      );
      const value = latest.length ? latest[latest.length - 1].status : NO_INVITE;
      const hit = (cond.value as string[]).includes(value);
      return {
        condition: `invite status of ${on} ${cond.op} ${JSON.stringify(cond.value)}`,
        result: cond.op === 'in' ? hit : !hit,
        saw: { value },
      };
    }
    case 'response_status': {
      const value =
        s.responses.find((r) => r.distributionId === cond.distributionId)?.status ?? 'Not Started';
      const hit = (cond.value as string[]).includes(value);
      return {
        condition: `response status of ${cond.distributionId} ${cond.op} ${JSON.stringify(cond.value)}`,
        result: cond.op === 'in' ? hit : !hit,
        saw: { value },
      };
    }
    case 'last_sent_before': {
      const now = c.now ?? new Date();
      const sent = invitesOf(s, cond.distributionId, cond.channel)
        .map((i) => i.sentAt?.getTime())
        .filter((t): t is number => t !== undefined);
      const last = sent.length ? Math.max(...sent) : undefined;
      const threshold = new Date(now.getTime() - durationMs(cond.amount, cond.unit));
      return {
        condition: `last invite or reminder of ${on} sent at least ${cond.amount} ${cond.unit} ago`,
        result: last !== undefined && last <= threshold.getTime(),
        saw: {
          value: last !== undefined ? new Date(last).toISOString() : null,
          threshold: threshold.toISOString(),
        },
      };
    }
  }
}

function evaluateField(cond: FieldCondition, c: CaseView): ConditionTrace {
  const value = readField(c, cond.field);
  const previous = own(c.previous, cond.field);
  const changed = c.changed.has(cond.field);
  const label =
    'value' in cond ? `${cond.field} ${cond.op} ${JSON.stringify(cond.value)}` : `${cond.field} ${cond.op}`;
  let result: boolean;
  switch (cond.op) {
    case 'equals':
      result = same(value, cond.value);
      break;
    case 'not_equals':
      result = !same(value, cond.value);
      break;
    case 'in':
      result = cond.value.some((v) => same(value, v));
      break;
    case 'not_in':
      result = !cond.value.some((v) => same(value, v));
      break;
    case 'contains':
      result = typeof value === 'string' && value.toLowerCase().includes(cond.value.toLowerCase());
      break;
    case 'exists':
      result = value !== undefined && value !== null && value !== '';
      break;
    case 'changed':
      result = changed;
      break;
    case 'changed_to':
      result = changed && same(value, cond.value);
      break;
    case 'changed_from':
      result = changed && same(previous, cond.value);
      break;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
      result = !Number.isNaN(n) && compare(n, cond.value, cond.op);
      break;
    }
    case 'before':
    case 'after': {
      const t = typeof value === 'string' ? Date.parse(value) : NaN;
      const ref = Date.parse(cond.value);
      result = !Number.isNaN(t) && (cond.op === 'before' ? t < ref : t > ref);
      break;
    }
  }
  return {
    condition:
      label.length > 2 * LIMITS.traceValueChars ? `${label.slice(0, 2 * LIMITS.traceValueChars)}…` : label,
    result,
    saw: { value: cut(value), ...(changed ? { previous: cut(previous) } : {}) },
  };
}

/** A case value as the trace keeps it: long text cut, so a trace stays small whatever the case holds. */
function cut(v: Scalar | undefined): Scalar | undefined {
  return typeof v === 'string' && v.length > LIMITS.traceValueChars
    ? `${v.slice(0, LIMITS.traceValueChars)}… (${v.length} characters)`
    : v;
}

function same(a: Scalar | undefined, b: Scalar | undefined): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

function compare(a: number, b: number, op: 'gt' | 'gte' | 'lt' | 'lte'): boolean {
  return op === 'gt' ? a > b : op === 'gte' ? a >= b : op === 'lt' ? a < b : a <= b;
}
