import { createPublicKey, KeyObject, verify } from 'node:crypto';

/**
 * SendGrid's signed event webhook: ECDSA P-256 / SHA-256 over `timestamp + raw body`, signature base64 DER,
 * public key base64 DER (SubjectPublicKeyInfo) as shown in SendGrid's Mail Settings. Verified over the raw
 * bytes: re-serialised JSON would not match.
 */
export class SendGridSignatureVerifier {
  private readonly key: KeyObject;

  constructor(publicKey: string) {
    const body = publicKey.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
    this.key = createPublicKey({ key: Buffer.from(body, 'base64'), format: 'der', type: 'spki' });
  }

  verify(rawBody: Buffer, signature: string | undefined, timestamp: string | undefined): boolean {
    if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
    try {
      return verify(
        'sha256',
        Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]),
        { key: this.key, dsaEncoding: 'der' },
        Buffer.from(signature, 'base64'),
      );
    } catch {
      return false;
    }
  }
}
