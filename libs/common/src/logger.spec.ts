import { withCorrelation } from './correlation';
import { JsonLogger, maskPii } from './logger';

describe('logs', () => {
  it('mask e-mail addresses and phone numbers but leave ids and dates alone', () => {
    expect(maskPii('to grace.hopper@example.com and whatsapp:+14155550123')).toBe(
      'to g***@e***.com and whatsapp:+********23',
    );
    const id = 'case 7a1e0000-0000-4000-8000-000000000001 at 2026-11-20T10:00:00Z';
    expect(maskPii(id)).toBe(id);
  });

  it('are one JSON object a line with the correlation id, secrets redacted', () => {
    const lines: string[] = [];
    const log = new JsonLogger('rules', 'info', (l) => lines.push(l));
    withCorrelation('corr-42', () =>
      log.log('sent', { to: 'ada@example.com', apiKey: 'SG.secret', n: 1 }, 'Sender'),
    );
    log.debug('hidden below info');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({
      level: 'info',
      app: 'rules',
      context: 'Sender',
      correlationId: 'corr-42',
      msg: 'sent',
    });
    expect(entry.to).toBe('a***@e***.com');
    expect(entry.apiKey).toBe('[redacted]');
    expect(lines[0]).not.toContain('SG.secret');
  });
});
