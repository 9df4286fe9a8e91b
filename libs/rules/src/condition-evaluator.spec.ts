import { CaseView, SurveyState, evaluate } from './condition-evaluator';
import { condition, durationMs, timeConditions } from './rule-definition';

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

describe('hostile case data', () => {
  it('reads only the case’s own fields: constructor and __proto__ are just absent', () => {
    for (const field of ['constructor', '__proto__', 'custom.constructor', 'toString']) {
      expect(evaluate(condition.parse({ field, op: 'exists' }), view()).result).toBe(false);
    }
  });

  it('keeps the trace small whatever the case holds', () => {
    const huge = 'x'.repeat(1_000_000);
    const trace = evaluate(
      condition.parse({ field: 'status', op: 'changed_to', value: 'Resolved' }),
      view({ fields: { status: huge }, previous: { status: huge } }),
    );
    expect(JSON.stringify(trace).length).toBeLessThan(1_000);
    expect(trace.saw?.value).toBe(`${'x'.repeat(200)}… (1000000 characters)`);
  });
});

describe('survey conditions', () => {
  const d = '11111111-1111-4111-8111-111111111111';
  const other = '22222222-2222-4222-8222-222222222222';
  const now = new Date('2026-11-23T12:00:00Z');
  const at = (h: number) => new Date(now.getTime() - h * 3_600_000);
  const state: SurveyState = {
    invites: [
      {
        distributionId: d,
        channel: 'email',
        kind: 'invitation',
        status: 'Invite Opened',
        sentAt: at(50),
        createdAt: at(50),
      },
      {
        distributionId: d,
        channel: 'sms',
        kind: 'invitation',
        status: 'Failed',
        sentAt: null,
        createdAt: at(49),
      },
      {
        distributionId: d,
        channel: 'email',
        kind: 'thank_you',
        status: 'Invite Sent',
        sentAt: at(1),
        createdAt: at(1),
      },
    ],
    responses: [{ distributionId: d, status: 'In Progress' }],
  };
  const withSurvey = (survey: SurveyState = state) => ({ ...view(), survey, now });

  it.each([
    [
      { survey: 'invite_status', distributionId: d, channel: 'email', op: 'in', value: ['Invite Opened'] },
      true,
    ],
    [{ survey: 'invite_status', distributionId: d, channel: 'sms', op: 'in', value: ['Failed'] }, true],
    // Without a channel: the latest invitation or reminder on any channel (the SMS one).
    [{ survey: 'invite_status', distributionId: d, op: 'not_in', value: ['Failed'] }, false],
    [{ survey: 'invite_status', distributionId: other, op: 'in', value: ['No Invite'] }, true],
    [{ survey: 'response_status', distributionId: d, op: 'in', value: ['In Progress'] }, true],
    [{ survey: 'response_status', distributionId: other, op: 'in', value: ['Not Started'] }, true],
    // Thank-yous don't count as "sent": the last invitation went out 50 h ago.
    [{ survey: 'last_sent_before', distributionId: d, amount: 2, unit: 'days' }, true],
    [{ survey: 'last_sent_before', distributionId: d, amount: 3, unit: 'days' }, false],
    [{ survey: 'last_sent_before', distributionId: d, channel: 'sms', amount: 1, unit: 'seconds' }, false],
    [{ survey: 'last_sent_before', distributionId: other, amount: 1, unit: 'minutes' }, false],
  ])('%j → %s', (c, expected) => {
    expect(evaluate(condition.parse(c), withSurvey()).result).toBe(expected);
  });

  it('traces what it saw, including the threshold of a time condition', () => {
    const t = evaluate(
      condition.parse({ survey: 'last_sent_before', distributionId: d, amount: 48, unit: 'hours' }),
      withSurvey(),
    );
    expect(t.saw).toEqual({ value: at(50).toISOString(), threshold: at(48).toISOString() });
  });

  it('lists the time conditions a rule must be re-evaluated for, wherever they sit in the tree', () => {
    const c = condition.parse({
      all: [
        { field: 'status', op: 'equals', value: 'Resolved' },
        { not: { any: [{ survey: 'last_sent_before', distributionId: d, amount: 1, unit: 'weeks' }] } },
      ],
    });
    expect(timeConditions(c)).toEqual([
      { survey: 'last_sent_before', distributionId: d, amount: 1, unit: 'weeks' },
    ]);
    expect(durationMs(1, 'weeks')).toBe(7 * 86_400_000);
  });

  it('points validation errors at the offending part of the tree', () => {
    const r = condition.safeParse({
      all: [
        { field: 'status', op: 'equals', value: 'x' },
        { any: [{ survey: 'response_status', distributionId: d, op: 'in', value: ['Done'] }] },
        { bogus: true },
      ],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(['all.1.any.0.value.0', 'all.2']);
    expect(r.error!.issues[1].message).toMatch(/a condition is/);
  });
});
