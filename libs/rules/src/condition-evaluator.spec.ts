import { CaseView, evaluate } from './condition-evaluator';
import { condition } from './rule-definition';

const view = (over: Partial<CaseView> = {}): CaseView => ({
  fields: { status: 'Resolved', priority: 'High', score: 7, closed_at: '2026-11-20T10:00:00Z' },
  customFields: { tier: 'gold' },
  previous: { status: 'Open' },
  changed: new Set(['status']),
  ...over,
});

describe('rule conditions', () => {
  it.each([
    [{ field: 'status', op: 'changed_to', value: 'resolved' }, true],
    [{ field: 'status', op: 'changed_from', value: 'Open' }, true],
    [{ field: 'priority', op: 'changed' }, false],
    [{ field: 'priority', op: 'in', value: ['High', 'Urgent'] }, true],
    [{ field: 'priority', op: 'not_in', value: ['High'] }, false],
    [{ field: 'custom.tier', op: 'equals', value: 'gold' }, true],
    [{ field: 'custom.missing', op: 'exists' }, false],
    [{ field: 'score', op: 'gte', value: 7 }, true],
    [{ field: 'score', op: 'lt', value: 7 }, false],
    [{ field: 'closed_at', op: 'after', value: '2026-11-01T00:00:00Z' }, true],
    [{ field: 'status', op: 'contains', value: 'solv' }, true],
    [
      {
        all: [
          { field: 'status', op: 'equals', value: 'Resolved' },
          { not: { field: 'custom.tier', op: 'equals', value: 'gold' } },
        ],
      },
      false,
    ],
    [
      {
        any: [
          { field: 'status', op: 'equals', value: 'Closed' },
          { field: 'priority', op: 'equals', value: 'High' },
        ],
      },
      true,
    ],
  ])('%j → %s', (c, expected) => {
    expect(evaluate(condition.parse(c), view()).result).toBe(expected);
  });

  it('traces each leaf with the values it saw', () => {
    const t = evaluate(
      condition.parse({ all: [{ field: 'status', op: 'changed_to', value: 'Resolved' }] }),
      view(),
    );
    expect(t.children![0]).toEqual({
      condition: 'status changed_to "Resolved"',
      result: true,
      saw: { value: 'Resolved', previous: 'Open' },
    });
  });

  it('rejects malformed conditions, pointing at the offending part', () => {
    const r = condition.safeParse({ all: [{ field: 'status', op: 'equals' }] });
    expect(r.success).toBe(false);
    const r2 = condition.safeParse({ field: 'bad field!', op: 'exists' });
    expect(r2.success).toBe(false);
    expect(JSON.stringify(r2.error!.issues)).toContain('a case field');
  });
});
