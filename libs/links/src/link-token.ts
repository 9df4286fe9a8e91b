import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256 } from '@fg/common';

/**
 * Survey-link tokens. A token is 22 base64url characters (132 bits) of HMAC-SHA256(secret, nonce) over a
 * random 128-bit nonce. The database keeps the nonce and the token's SHA-256, never the token: the same link
 * can be handed out again (re-derived with the secret), and a database dump alone yields no working link.
 */
export class LinkTokens {
  static readonly LENGTH = 22;
  static readonly PATH_PREFIX = '/s/';

  constructor(private readonly secret: string) {}

  newNonce(): Buffer {
    return randomBytes(16);
  }

  tokenFor(nonce: Buffer): string {
    return createHmac('sha256', this.secret).update(nonce).digest('base64url').slice(0, LinkTokens.LENGTH);
  }

  hash(token: string): string {
    return sha256(token);
  }

  /** Cheap shape check before any database lookup. */
  static looksValid(token: string): boolean {
    return token.length === LinkTokens.LENGTH && /^[A-Za-z0-9_-]+$/.test(token);
  }

  static sameHash(a: string, b: string): boolean {
    return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
  }

  url(baseUrl: string, token: string): string {
    return `${baseUrl.replace(/\/+$/, '')}${LinkTokens.PATH_PREFIX}${token}`;
  }
}
