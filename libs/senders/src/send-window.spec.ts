import { nextOpening } from './send-window';

const weekdays = { days: [1, 2, 3, 4, 5, 6], start: '09:00', end: '20:00', timeZone: 'Europe/Paris' };

describe('quiet hours', () => {
  it('lets a send through inside the window, in the window time zone', () => {
    // Wednesday 2026-12-09 10:00 in Paris (UTC+1)
    expect(nextOpening(weekdays, null, new Date('2026-12-09T09:00:00Z'))).toBeNull();
  });

  it("defers a late-evening send to the next morning's opening", () => {
    // Wednesday 21:30 Paris → Thursday 09:00 Paris = 08:00Z
    expect(nextOpening(weekdays, null, new Date('2026-12-09T20:30:00Z'))).toEqual({
      at: new Date('2026-12-10T08:00:00Z'),
      window: 'Mon–Sat 09:00–20:00 Europe/Paris',
    });
  });

  it('skips the days outside the window (Saturday night → Monday morning)', () => {
    expect(nextOpening(weekdays, null, new Date('2026-12-12T19:30:00Z'))?.at).toEqual(
      new Date('2026-12-14T08:00:00Z'),
    );
  });

  it("follows the recipient's time zone over the window's", () => {
    // 10:00 in Paris is 01:00 in Los Angeles: wait for 09:00 there (17:00Z)
    const now = new Date('2026-12-09T09:00:00Z');
    expect(nextOpening(weekdays, 'America/Los_Angeles', now)?.at).toEqual(new Date('2026-12-09T17:00:00Z'));
    expect(nextOpening(weekdays, 'Asia/Tokyo', now)).toBeNull(); // 18:00 in Tokyo
  });

  it('opens at the right instant across a daylight-saving change', () => {
    // Sunday 2027-03-28 is the change in Paris (UTC+1 → UTC+2): Monday 09:00 is 07:00Z
    expect(nextOpening(weekdays, null, new Date('2027-03-27T20:00:00Z'))?.at).toEqual(
      new Date('2027-03-29T07:00:00Z'),
    );
  });
});
