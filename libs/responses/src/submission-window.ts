import type { SubmissionLimit } from '@fg/persistence';

type Period = NonNullable<SubmissionLimit['reset']>;

/**
 * `start` plus a period, in UTC, the way PostgreSQL adds an interval to a UTC timestamp: months and years keep
 * the day of the month, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29), so the page that says
 * "used up" and the statement that counts submissions agree to the millisecond.
 */
export function addPeriod(start: Date, p: Period): Date {
  const d = new Date(start);
  switch (p.unit) {
    case 'days':
      d.setUTCDate(d.getUTCDate() + p.amount);
      return d;
    case 'weeks':
      d.setUTCDate(d.getUTCDate() + 7 * p.amount);
      return d;
    case 'months':
    case 'years': {
      const months = p.unit === 'months' ? p.amount : 12 * p.amount;
      const total = d.getUTCFullYear() * 12 + d.getUTCMonth() + months;
      const year = Math.floor(total / 12);
      const month = total % 12;
      const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
      d.setUTCFullYear(year, month, Math.min(d.getUTCDate(), lastDay));
      return d;
    }
  }
}

/** When the window that started at `start` resets; null when the limit never resets. */
export function windowResetAt(start: Date | null, limit: SubmissionLimit | null): Date | null {
  return start && limit?.reset ? addPeriod(start, limit.reset) : null;
}

/** Whether a link's submissions are used up at `now` (a window whose reset is due frees them). */
export function usedUp(
  link: { submissionLimit: SubmissionLimit | null; submissions: number; windowStartedAt: Date | null },
  now: Date,
): boolean {
  const l = link.submissionLimit;
  if (!l || link.submissions < l.allowed) return false;
  const reset = windowResetAt(link.windowStartedAt, l);
  return !(reset && reset <= now);
}
