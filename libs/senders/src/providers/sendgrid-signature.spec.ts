import { EventWebhook } from '@sendgrid/eventwebhook';
import { generateKeyPairSync, sign } from 'node:crypto';
import { SendGridSignatureVerifier } from './sendgrid-signature';

describe('SendGrid signed event webhook', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const publicB64 = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const body = Buffer.from('[{"event":"delivered","invite_id":"x"}]\r\n');
  const ts = '1700000000';
  const signature = sign('sha256', Buffer.concat([Buffer.from(ts), body]), {
    key: privateKey,
    dsaEncoding: 'der',
  }).toString('base64');

  it('accepts what SendGrid signs, agreeing with SendGrid’s own verification library', () => {
    const ours = new SendGridSignatureVerifier(publicB64).verify(body, signature, ts);
    const ew = new EventWebhook();
    const theirs = ew.verifySignature(ew.convertPublicKeyToECDSA(publicB64), body, signature, ts);
    expect(ours).toBe(true);
    expect(theirs).toBe(true);
  });

  it('rejects a changed body, a changed timestamp, garbage and missing headers', () => {
    const v = new SendGridSignatureVerifier(publicB64);
    expect(v.verify(Buffer.from(body.toString().replace('delivered', 'bounce')), signature, ts)).toBe(false);
    expect(v.verify(body, signature, '1700000001')).toBe(false);
    expect(v.verify(body, 'bm90IGEgc2lnbmF0dXJl', ts)).toBe(false);
    expect(v.verify(body, undefined, ts)).toBe(false);
    expect(v.verify(body, signature, undefined)).toBe(false);
  });
});
