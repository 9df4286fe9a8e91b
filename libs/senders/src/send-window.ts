import type { SendWindow } from '@fg/persistence';

const DAY_NAMES = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

interface Local {
  y: number;
  m: number;
  d: number;
  minutes: number;
  weekday: number;
}

/** The wall-clock date, time and ISO weekday of an instant in a time zone. */
function localOf(at: Date, timeZone: string): Local {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return {
    y: Number(parts.year),
    m: Number(parts.month),
    d: Number(parts.day),
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    weekday: WEEKDAY[parts.weekday],
  };
}

/** The instant a wall-clock time happens in a time zone (a time skipped by a DST jump moves forward by it). */
function instantOf(y: number, m: number, d: number, minutes: number, timeZone: string): Date {
  const wanted = Date.UTC(y, m - 1, d, 0, minutes);
  let t = wanted;
  for (let i = 0; i < 3; i++) {
    const l = localOf(new Date(t), timeZone);
    const seen = Date.UTC(l.y, l.m - 1, l.d, 0, l.minutes);
    if (seen === wanted) break;
    t += wanted - seen;
  }
  return new Date(t);
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** "Mon–Sat 09:00–20:00 Europe/Paris" */
export function describeWindow(w: SendWindow, timeZone: string): string {
  const days = [...w.days].sort();
  const contiguous = days.every((d, i) => i === 0 || d === days[i - 1] + 1);
  const dayText =
    days.length === 7
      ? 'every day'
      : contiguous && days.length > 2
        ? `${DAY_NAMES[days[0]]}–${DAY_NAMES[days[days.length - 1]]}`
        : days.map((d) => DAY_NAMES[d]).join(',');
  return `${dayText} ${w.start}–${w.end} ${timeZone}`;
}

/**
 * Quiet hours: null when `now` is inside the window in the recipient's time zone (or the window's own when the
 * recipient's is unknown); otherwise the next opening, when the send is tried again.
 */
export function nextOpening(
  w: SendWindow,
  recipientTimeZone: string | null,
  now: Date,
): { at: Date; window: string } | null {
  const tz = recipientTimeZone ?? w.timeZone;
  const start = minutesOf(w.start);
  const end = minutesOf(w.end);
  const today = localOf(now, tz);
  if (w.days.includes(today.weekday) && today.minutes >= start && today.minutes < end) return null;
  for (let k = 0; k <= 7; k++) {
    // Noon of the k-th next local day: its date and weekday, whatever DST does around midnight.
    const day = localOf(instantOf(today.y, today.m, today.d + k, 12 * 60, tz), tz);
    if (!w.days.includes(day.weekday)) continue;
    const at = instantOf(day.y, day.m, day.d, start, tz);
    if (at.getTime() > now.getTime()) return { at, window: describeWindow(w, tz) };
  }
  return null; // no day in the window: validation forbids it
}
