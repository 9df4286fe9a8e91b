import { distributionState, linkExpiry, whyNoLinks } from './distribution-lifecycle';

const now = new Date('2026-06-01T12:00:00Z');
const HOUR = 3_600_000;

describe('distribution lifecycle', () => {
  it('is expired once a static expiry has passed, whatever the stored status says', () => {
    const d = {
      id: 'd',
      status: 'active' as const,
      expiry: { mode: 'static' as const, at: '2026-06-01T11:59:59Z' },
    };
    expect(distributionState(d, now)).toBe('expired');
    expect(whyNoLinks(d, 'd', now)).toMatch(/^DISTRIBUTION_EXPIRED: /);
    expect(distributionState({ ...d, expiry: { mode: 'static', at: '2026-06-02T00:00:00Z' } }, now)).toBe(
      'active',
    );
    expect(distributionState({ ...d, status: 'draft', expiry: { mode: 'none' } }, now)).toBe('draft');
    expect(whyNoLinks(undefined, 'x', now)).toMatch(/^DISTRIBUTION_NOT_FOUND: /);
  });

  it('counts a dynamic expiry from the first send, or from issue when the caller is handed the link', () => {
    const d = { expiry: { mode: 'dynamic' as const, amount: 7, unit: 'days' as const } };
    expect(linkExpiry(d, now, false)).toEqual({ expiresAt: null, afterSeconds: 7 * 86_400 });
    expect(linkExpiry(d, now, true)).toEqual({
      expiresAt: new Date(now.getTime() + 7 * 24 * HOUR),
      afterSeconds: null,
    });
    expect(linkExpiry({ expiry: { mode: 'none' } }, now, false)).toEqual({
      expiresAt: null,
      afterSeconds: null,
    });
  });

  it('lets test links live a day at most', () => {
    const day = new Date(now.getTime() + 24 * HOUR);
    expect(linkExpiry({ expiry: { mode: 'none' } }, now, true, true).expiresAt).toEqual(day);
    expect(
      linkExpiry({ expiry: { mode: 'dynamic', amount: 2, unit: 'hours' } }, now, true, true).expiresAt,
    ).toEqual(new Date(now.getTime() + 2 * HOUR));
  });
});
