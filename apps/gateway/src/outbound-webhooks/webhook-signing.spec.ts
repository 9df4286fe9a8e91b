import { Webhook } from 'standardwebhooks';
import { WebhookSecretBox, newWebhookSecret, signWebhook } from './webhook-signing';

describe('outbound webhook signing (Standard Webhooks)', () => {
  it("signs the specification's published example exactly", () => {
    const headers = signWebhook(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      new Date(1614265330 * 1000),
      '{"test": 2432232314}',
    );
    expect(headers).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it('makes secrets a receiver can verify with, and keeps them sealed at rest', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const body = JSON.stringify({ type: 'invite.status', data: { status: 'Invite Sent' } });
    const headers = signWebhook(secret, 'a1', new Date(), body);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    const box = new WebhookSecretBox('x'.repeat(32));
    const sealed = box.seal(secret);
    expect(sealed).not.toContain(secret.slice(6));
    expect(box.open(sealed)).toBe(secret);
    expect(() => new WebhookSecretBox('y'.repeat(32)).open(sealed)).toThrow();
  });
});
