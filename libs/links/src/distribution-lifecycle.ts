import type { DistributionEntity } from '@fg/persistence';

export type DistributionState = 'draft' | 'active' | 'expired' | 'failed';

/**
 * A distribution's state at `now` (the injected clock): draft until a rule references it, then active; expired
 * once its static expiry has passed, whatever the stored status says; failed as stored. (A closed survey closes
 * its links' pages; that is the survey's state, not the distribution's.)
 */
export function distributionState(
  d: Pick<DistributionEntity, 'status' | 'expiry'>,
  now: Date,
): DistributionState {
  if (d.status === 'failed' || d.status === 'expired') return d.status;
  if (d.expiry.mode === 'static' && Date.parse(d.expiry.at) <= now.getTime()) return 'expired';
  return d.status;
}

/** Why no link can be issued for a distribution now (a reason code and detail), or null. */
export function whyNoLinks(
  d: Pick<DistributionEntity, 'id' | 'status' | 'expiry'> | undefined | null,
  id: string,
  now: Date,
): string | null {
  if (!d) return `DISTRIBUTION_NOT_FOUND: distribution ${id} does not exist`;
  const state = distributionState(d, now);
  if (state === 'draft' || state === 'active') return null;
  return `DISTRIBUTION_${state.toUpperCase()}: distribution ${id} is ${state}; no links are issued for it`;
}

const UNIT_SECONDS = { hours: 3_600, days: 86_400 } as const;

/**
 * When a new link expires. Static: the distribution's instant. Dynamic: counted from the first send, so a link
 * a rule issues now and sends later gets its full time (`afterSeconds`, started by the sender); a link handed
 * to the caller (the API, bulk) is "sent" when issued. Test links expire within a day at the latest.
 */
export function linkExpiry(
  d: Pick<DistributionEntity, 'expiry'>,
  now: Date,
  sentOnIssue: boolean,
  test = false,
): { expiresAt: Date | null; afterSeconds: number | null } {
  const e = d.expiry;
  let out: { expiresAt: Date | null; afterSeconds: number | null };
  if (e.mode === 'none') out = { expiresAt: null, afterSeconds: null };
  else if (e.mode === 'static') out = { expiresAt: new Date(e.at), afterSeconds: null };
  else {
    const seconds = e.amount * UNIT_SECONDS[e.unit];
    out = sentOnIssue
      ? { expiresAt: new Date(now.getTime() + seconds * 1000), afterSeconds: null }
      : { expiresAt: null, afterSeconds: seconds };
  }
  if (!test) return out;
  const day = new Date(now.getTime() + 86_400_000);
  return { expiresAt: out.expiresAt && out.expiresAt < day ? out.expiresAt : day, afterSeconds: null };
}
