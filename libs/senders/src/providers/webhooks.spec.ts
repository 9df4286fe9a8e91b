import { generateKeyPairSync, sign } from 'node:crypto';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { REASON_CODES, reasonOf } from '@fg/contracts';
import { SendGridEmailProvider } from './sendgrid.provider';
import { TwilioProvider } from './twilio.provider';

const invite = '7b0c1f8e-2a4d-4c61-9d1e-5a3f0b6c7d80';

describe('providers own their webhooks', () => {
  it('Twilio: the status-callback URL it builds is the one it reads the invite from; 21610 is coded and suppresses', () => {
    const token = 'twilio-test-token';
    const p = new TwilioProvider('sms', { authToken: token, statusCallbackBase: 'https://s.example.test/' });
    const url = p.statusCallbackUrl(invite);
    const params = {
      MessageSid: 'SM1',
      MessageStatus: 'undelivered',
      ErrorCode: '21610',
      To: '+14155550100',
    };
    const req = {
      url,
      params,
      headers: { 'x-twilio-signature': getExpectedTwilioSignature(token, url, params) },
    };
    expect(p.verifyWebhook(req)).toBe(true);
    expect(p.verifyWebhook({ ...req, params: { ...params, MessageStatus: 'delivered' } })).toBe(false);
    expect(p.parseReceipts(req)).toEqual([
      expect.objectContaining({
        inviteId: invite,
        channel: 'sms',
        event: 'undelivered',
        reason: 'RECIPIENT_OPTED_OUT: twilio 21610',
        suppress: 'replied STOP (Twilio 21610)',
      }),
    ]);
    const other = p.parseReceipts({ ...req, params: { ...params, ErrorCode: '30003' } })[0];
    expect(other).toMatchObject({ reason: 'UNDELIVERED: twilio 30003', suppress: null });
    expect(p.parseInbound({ ...req, params: { From: 'whatsapp:+14155550100', Body: ' stop ' } })).toEqual({
      channel: 'whatsapp',
      from: 'whatsapp:+14155550100',
      word: 'STOP',
      intent: 'stop',
    });
  });

  it('SendGrid: verifies over the raw bytes, codes bounces and spam reports and says what to suppress', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const p = new SendGridEmailProvider({
      baseUrl: 'https://api.sendgrid.com/',
      webhookPublicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    });
    const body = Buffer.from(
      JSON.stringify([
        {
          event: 'bounce',
          type: 'bounce',
          reason: '550 unknown user',
          invite_id: invite,
          sg_event_id: 'e1',
          timestamp: 1,
        },
        { event: 'spamreport', invite_id: invite, sg_event_id: 'e2', timestamp: 2 },
        { event: 'delivered', invite_id: invite, sg_event_id: 'e3', timestamp: 3 },
        { event: 'delivered', sg_event_id: 'not ours', timestamp: 4 },
      ]),
    );
    const timestamp = '1700000000';
    const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), body]), privateKey).toString(
      'base64',
    );
    const req = {
      url: 'https://s.example.test/webhooks/sendgrid',
      params: {},
      rawBody: body,
      headers: {
        'x-twilio-email-event-webhook-signature': signature,
        'x-twilio-email-event-webhook-timestamp': timestamp,
      },
      receivedAt: new Date(1_700_000_060_000), // a minute after it was signed
    };
    expect(p.verifyWebhook(req)).toBe(true);
    // The same signed batch replayed a day and two hours later is refused (SendGrid retries for up to 24 h).
    expect(p.verifyWebhook({ ...req, receivedAt: new Date(1_700_000_000_000 + 26 * 3600_000) })).toBe(false);
    expect(p.verifyWebhook({ ...req, rawBody: Buffer.from(body.toString().replace('550', '551')) })).toBe(
      false,
    );
    expect(p.parseReceipts(req).map((r) => [r.event, r.reason, r.suppress])).toEqual([
      ['bounce', 'BOUNCED: 550 unknown user (sendgrid bounce)', 'hard bounce'],
      ['spamreport', 'SPAM_REPORT: (sendgrid spamreport)', 'spam report'],
      ['delivered', null, null],
    ]);
  });

  it('reason codes: every reason starts with a listed code', () => {
    expect(reasonOf('QUARANTINED: rule "x"')).toEqual({ code: 'QUARANTINED', detail: 'rule "x"' });
    expect(reasonOf('NO_RECIPIENT_EMAIL')).toEqual({ code: 'NO_RECIPIENT_EMAIL', detail: '' });
    expect(reasonOf(null)).toBeNull();
    expect(() => reasonOf('mailbox full')).toThrow('known reason code');
    expect(Object.keys(REASON_CODES)).toContain('RECIPIENT_OPTED_OUT');
  });
});
