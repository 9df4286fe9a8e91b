import { addPeriod, usedUp } from './submission-window';

const at = (s: string) => new Date(s);

describe('submission windows', () => {
  it('adds months and years like PostgreSQL: the day is clamped to the end of a shorter month', () => {
    expect(addPeriod(at('2026-01-31T10:00:00Z'), { amount: 1, unit: 'months' })).toEqual(
      at('2026-02-28T10:00:00Z'),
    );
    expect(addPeriod(at('2028-01-31T10:00:00Z'), { amount: 1, unit: 'months' })).toEqual(
      at('2028-02-29T10:00:00Z'),
    );
    expect(addPeriod(at('2026-03-31T00:00:00Z'), { amount: 1, unit: 'months' })).toEqual(
      at('2026-04-30T00:00:00Z'),
    );
    expect(addPeriod(at('2026-12-31T23:59:59Z'), { amount: 2, unit: 'months' })).toEqual(
      at('2027-02-28T23:59:59Z'),
    );
    expect(addPeriod(at('2028-02-29T12:00:00Z'), { amount: 1, unit: 'years' })).toEqual(
      at('2029-02-28T12:00:00Z'),
    );
    expect(addPeriod(at('2026-01-15T08:30:00Z'), { amount: 13, unit: 'months' })).toEqual(
      at('2027-02-15T08:30:00Z'),
    );
  });

  it('adds days and weeks as calendar days in UTC', () => {
    expect(addPeriod(at('2026-03-28T12:00:00Z'), { amount: 3, unit: 'days' })).toEqual(
      at('2026-03-31T12:00:00Z'),
    );
    expect(addPeriod(at('2026-12-30T00:00:00Z'), { amount: 1, unit: 'weeks' })).toEqual(
      at('2027-01-06T00:00:00Z'),
    );
  });

  it('is used up at the limit until the window resets', () => {
    const link = {
      submissionLimit: { allowed: 1, reset: { amount: 1, unit: 'months' as const } },
      submissions: 1,
      windowStartedAt: at('2026-01-31T10:00:00Z'),
    };
    expect(usedUp(link, at('2026-02-28T09:59:59Z'))).toBe(true);
    expect(usedUp(link, at('2026-02-28T10:00:00Z'))).toBe(false);
    expect(usedUp({ ...link, submissions: 0 }, at('2026-02-01T00:00:00Z'))).toBe(false);
    expect(usedUp({ ...link, submissionLimit: null }, at('2026-02-01T00:00:00Z'))).toBe(false);
    expect(
      usedUp({ ...link, submissionLimit: { allowed: 1, reset: null } }, at('2030-01-01T00:00:00Z')),
    ).toBe(true);
  });
});
