import { createHmac, timingSafeEqual } from 'node:crypto';

const REF_TTL_MS = 15 * 60_000;

/**
 * The signed, short-lived reference a survey hosted elsewhere is given with each respondent
 * (`<linkId>.<expires>.<signature>`, HMAC-SHA256 with LINK_SIGNING_SECRET): it names the link without being
 * one, and reports that carry it can't be forged.
 */
export class ExternalRefs {
  constructor(private readonly secret: string) {}

  issue(linkId: string, now: Date, ttlMs = REF_TTL_MS): string {
    const payload = `${linkId}.${Math.floor((now.getTime() + ttlMs) / 1000)}`;
    return `${payload}.${this.sign(payload)}`;
  }

  /** The link a reference names, if its signature is ours (reports may come after it expired). */
  verify(ref: string, now: Date): { linkId: string; expired: boolean } | null {
    const m = /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(ref);
    if (!m) return null;
    const expected = Buffer.from(this.sign(`${m[1]}.${m[2]}`));
    const given = Buffer.from(m[3]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    return { linkId: m[1], expired: Number(m[2]) * 1000 < now.getTime() };
  }

  private sign(payload: string) {
    return createHmac('sha256', this.secret).update(`external-ref:${payload}`).digest('base64url');
  }
}
