import { simulatedReceipts } from './sandbox-receipts';

describe('sandbox receipts', () => {
  const events = (channel: 'email' | 'sms' | 'whatsapp', to: string) =>
    simulatedReceipts(channel, to).map((r) => r.event);

  it('delivers by default, on every channel', () => {
    expect(events('email', 'ada@example.com')).toEqual(['delivered']);
    expect(events('sms', '+14155550123')).toEqual(['delivered']);
    expect(events('whatsapp', 'whatsapp:+14155550123')).toEqual(['delivered']);
  });

  it('bounces bounce@ addresses and suppresses them, like a hard bounce', () => {
    const [r] = simulatedReceipts('email', 'Bounce+1@example.com');
    expect(r).toMatchObject({ event: 'bounce', suppress: 'hard bounce' });
    expect(r.reason).toMatch(/^BOUNCED: /);
  });

  it('fails +1555…0001 and opens open@ (email) or reads +1555…0002 (WhatsApp) after delivery', () => {
    const [failed] = simulatedReceipts('sms', '+15555550001');
    expect(failed).toMatchObject({ event: 'undelivered', suppress: null });
    expect(failed.reason).toMatch(/^UNDELIVERED: /);
    expect(events('whatsapp', 'whatsapp:+15555550001')).toEqual(['undelivered']);
    expect(events('email', 'open@example.com')).toEqual(['delivered', 'open']);
    expect(events('whatsapp', '+15555550002')).toEqual(['delivered', 'read']);
    expect(events('sms', '+15555550002')).toEqual(['delivered']);
    const [d, o] = simulatedReceipts('email', 'open@example.com');
    expect(o.afterMs).toBeGreaterThan(d.afterMs);
  });
});
