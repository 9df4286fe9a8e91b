import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Per-recipient unsubscribe links (RFC 8058 one-click and the footer link): `/u/<invite id>.<HMAC>`. The invite
 * names the channel and the address; the HMAC (the server's LINK_SIGNING_SECRET) makes the link unguessable and
 * unforgeable, so a POST to it needs no other authentication. The address itself is never in the URL.
 */
export class UnsubscribeLinks {
  static readonly PATH_PREFIX = '/u/';

  constructor(
    private readonly secret: string,
    private readonly publicBaseUrl: string,
  ) {}

  tokenFor(inviteId: string): string {
    return `${inviteId}.${this.sign(inviteId)}`;
  }

  urlFor(inviteId: string): string {
    return `${this.publicBaseUrl.replace(/\/+$/, '')}${UnsubscribeLinks.PATH_PREFIX}${this.tokenFor(inviteId)}`;
  }

  /** The invite an unsubscribe token names, if we signed it. */
  verify(token: string): string | null {
    const m = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{32})$/.exec(token);
    if (!m) return null;
    const expected = Buffer.from(this.sign(m[1]));
    const given = Buffer.from(m[2]);
    return expected.length === given.length && timingSafeEqual(expected, given) ? m[1] : null;
  }

  private sign(inviteId: string) {
    return createHmac('sha256', this.secret)
      .update(`unsubscribe:${inviteId}`)
      .digest('base64url')
      .slice(0, 32);
  }
}
