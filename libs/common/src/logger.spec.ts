import { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { PinoLogger } from 'nestjs-pino';
import { withCorrelation } from './correlation';
import { AppLogger, createLogger, maskPii, routeOf } from './logger';

/** A pino destination that keeps the lines. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').trim().split('\n'));
      done();
    },
  });
  return { lines, stream, entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** The Nest-facing logger over a pino logger, as nestjs-pino wires it outside a request. */
function nestLogger(pino: ReturnType<typeof createLogger>) {
  const pinoLogger = Object.create(PinoLogger.prototype) as PinoLogger;
  Object.defineProperty(pinoLogger, 'logger', { get: () => pino });
  Object.assign(pinoLogger, { context: '', contextName: 'context', errorKey: 'err' });
  return new AppLogger(pinoLogger);
}

describe('logs', () => {
  it('mask e-mail addresses and phone numbers but leave ids and dates alone', () => {
    expect(maskPii('to grace.hopper@example.com and whatsapp:+14155550123')).toBe(
      'to g***@e***.com and whatsapp:+********23',
    );
    const id = 'case 7a1e0000-0000-4000-8000-000000000001 at 2026-11-20T10:00:00Z';
    expect(maskPii(id)).toBe(id);
  });

  it('are one JSON object a line with app, context and correlation id; PII masked, secrets redacted', () => {
    const out = capture();
    const log = nestLogger(createLogger('rules', 'info', 'json', out.stream));
    withCorrelation('corr-42', () =>
      log.log('sent to ada@example.com', { to: 'ada@example.com', apiKey: 'SG.secret', n: 1 }, 'Sender'),
    );
    log.debug('hidden below info', 'Sender');
    expect(out.entries()).toEqual([
      expect.objectContaining({
        level: 'info',
        app: 'rules',
        context: 'Sender',
        correlationId: 'corr-42',
        msg: 'sent to a***@e***.com',
        to: 'a***@e***.com',
        apiKey: '[redacted]',
        n: 1,
      }),
    ]);
    expect(out.lines.join('\n')).not.toContain('SG.secret');
  });

  it('keep errors with their stack, masked', () => {
    const out = capture();
    const log = nestLogger(createLogger('gateway', 'info', 'json', out.stream));
    log.error(new Error('no such contact bob@example.com'), 'Webhooks');
    const [entry] = out.entries();
    expect(entry).toMatchObject({
      level: 'error',
      context: 'Webhooks',
      msg: 'no such contact b***@e***.com',
    });
    expect((entry.err as { stack: string }).stack).toContain('at ');
    expect(JSON.stringify(entry)).not.toContain('bob@example.com');
  });

  it("turn Nest's start-up chatter (a line per module and route) into debug", () => {
    const out = capture();
    const log = nestLogger(createLogger('gateway', 'info', 'json', out.stream));
    log.log('Mapped {/ops/rules, GET} route', 'RouterExplorer');
    log.log('GatewayModule dependencies initialized', 'InstanceLoader');
    log.log('messaging ready on kafka (5 consumers)', 'Messaging');
    expect(out.entries().map((e) => e.msg)).toEqual(['messaging ready on kafka (5 consumers)']);
  });

  it('name a request by its route, never by the token or id in its path', () => {
    const matched = Object.assign(new IncomingMessage(null as never), {
      url: '/s/AbCdEfGhIjKlMnOpQrStUv?x=1',
      route: { path: '/s/:token' },
      baseUrl: '',
    });
    expect(routeOf(matched)).toBe('/s/:token');
    const unmatched = Object.assign(new IncomingMessage(null as never), {
      url: '/ops/invites/7a1e0000-0000-4000-8000-000000000001/Secret_Token-123?key=abc',
    });
    expect(routeOf(unmatched)).toBe('/ops/invites/:param/:param');
  });
});
