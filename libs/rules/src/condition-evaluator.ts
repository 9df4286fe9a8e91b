import type { Scalar } from '@fg/contracts';
import { Condition, FieldCondition } from './rule-definition';

export interface CaseView {
  fields: Record<string, Scalar>;
  customFields: Record<string, Scalar>;
  /** Values before this change, keyed like field refs (`status`, `custom.x`); absent key = unknown/unchanged. */
  previous: Record<string, Scalar | undefined>;
  /** Field refs whose value changed with this event. */
  changed: Set<string>;
}

export interface ConditionTrace {
  condition: string;
  result: boolean;
  saw?: { value: Scalar | undefined; previous?: Scalar | undefined };
  children?: ConditionTrace[];
}

export function readField(c: CaseView, ref: string): Scalar | undefined {
  return ref.startsWith('custom.') ? c.customFields[ref.slice(7)] : c.fields[ref];
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
  return evaluateField(cond, c);
}

function evaluateField(cond: FieldCondition, c: CaseView): ConditionTrace {
  const value = readField(c, cond.field);
  const previous = c.previous[cond.field];
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
  return { condition: label, result, saw: { value, ...(changed ? { previous } : {}) } };
}

function same(a: Scalar | undefined, b: Scalar | undefined): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

function compare(a: number, b: number, op: 'gt' | 'gte' | 'lt' | 'lte'): boolean {
  return op === 'gt' ? a > b : op === 'gte' ? a >= b : op === 'lt' ? a < b : a <= b;
}
