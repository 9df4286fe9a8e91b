import { Injectable, LoggerService } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { PinoLogger } from 'nestjs-pino';
import pino, { DestinationStream, Logger as Pino } from 'pino';
import type { Options as HttpOptions } from 'pino-http';
import pretty from 'pino-pretty';
import { currentCorrelationId } from './correlation';

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-])[A-Za-z0-9.-]*\.([A-Za-z]{2,})/g;
// Phone numbers we handle are E.164 (+ and digits), also inside `whatsapp:+…`; ids and dates are left alone.
const PHONE = /\+\d[\d\s().-]{4,}(\d{2})(?!\d)/g;
const SECRET_KEYS = /(authorization|api[-_]?key|token|secret|password|signature)/i;

/** Masks e-mail addresses and phone numbers: `j***@e***.com`, `+*********67`. */
export function maskPii(text: string): string {
  return text
    .replace(EMAIL, (_m, a: string, d: string, tld: string) => `${a}***@${d}***.${tld}`)
    .replace(PHONE, (_m, tail: string) => `+${'*'.repeat(8)}${tail}`);
}

/** Deep-copies a log field, masking PII in strings and dropping anything that looks like a secret. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[depth]';
  if (typeof value === 'string') return maskPii(value);
  if (value instanceof Error)
    return { type: value.name, message: maskPii(value.message), stack: maskPii(value.stack ?? '') };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = SECRET_KEYS.test(k) ? '[redacted]' : redact(v, depth + 1);
    return out;
  }
  return value;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
/** `auto`: pretty on a terminal, JSON otherwise (a container, a file, a log shipper). */
export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * The process's pino logger: one JSON object a line (`time`, `level`, `app`, `context`, `correlationId`, `msg`),
 * e-mail addresses and phone numbers masked in every string, fields that look like secrets replaced by
 * `[redacted]`; pretty-printed instead when the output is a terminal (or LOG_FORMAT=pretty).
 */
export function createLogger(
  app: string,
  level: LogLevel = 'info',
  format: LogFormat = 'auto',
  destination?: DestinationStream,
): Pino {
  const usePretty = format === 'pretty' || (format === 'auto' && !destination && process.stdout.isTTY);
  const stream =
    destination ??
    (usePretty
      ? pretty({ sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
      : pino.destination({ fd: 1, sync: true }));
  return pino(
    {
      level,
      base: { app },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redact(obj) as Record<string, unknown>,
      },
      // The id of the event or request being handled, unless the line is bound to a request that carries it.
      mixin: (_obj, _level, logger) => {
        const id = currentCorrelationId();
        return id && !('correlationId' in logger.bindings()) ? { correlationId: id } : {};
      },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskPii(a) : a)) as typeof args;
          method.apply(this, masked);
        },
      },
    },
    stream,
  );
}

/** Nest's framework chatter at start-up (a line per module and per route) is debug, not info. */
const QUIET_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

/**
 * Nest's LoggerService on pino (through nestjs-pino, which binds lines logged while a request is handled to that
 * request): `new Logger('Sender').log('sent', { to })` becomes `{"context":"Sender","to":"a***@e***.com","msg":"sent"}`.
 */
@Injectable()
export class AppLogger implements LoggerService {
  constructor(private readonly pino: PinoLogger) {}

  log(message: unknown, ...rest: unknown[]) {
    this.emit('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.emit('debug', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.emit('error', message, rest);
  }

  private emit(level: 'debug' | 'info' | 'warn' | 'error', message: unknown, rest: unknown[]) {
    const params = [...rest];
    const context = typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    if (level === 'info' && context && QUIET_CONTEXTS.has(context)) level = 'debug';
    const obj: Record<string, unknown> = context ? { context } : {};
    for (const p of params) {
      if (p instanceof Error) obj.err = p;
      else if (typeof p === 'string' && /\n\s*at /.test(p)) obj.stack = p;
      else if (p && typeof p === 'object') Object.assign(obj, p);
    }
    if (message instanceof Error) {
      obj.err = message;
      this.pino[level](obj, message.message);
    } else if (message && typeof message === 'object') this.pino[level]({ ...obj, ...message });
    else this.pino[level](obj, String(message));
  }
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** The request's correlation id: the caller's `X-Correlation-Id` when well-formed, a new UUID otherwise. */
export function requestCorrelationId(req: IncomingMessage): string {
  const given = req.headers['x-correlation-id'];
  return typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
}

/**
 * The route a request matched (`/s/:token`, never the token itself); for a request no route matched, its path with
 * every segment that is not a plain lowercase word replaced by `:param`. Query strings are never logged.
 */
export function routeOf(req: IncomingMessage): string {
  const r = req as IncomingMessage & { route?: { path?: string }; baseUrl?: string; originalUrl?: string };
  if (typeof r.route?.path === 'string') return `${r.baseUrl ?? ''}${r.route.path}`;
  const path = (r.originalUrl ?? req.url ?? '/').split('?')[0];
  return path
    .split('/')
    .map((seg) => (seg === '' || /^[a-z][a-z-]{0,40}$/.test(seg) ? seg : ':param'))
    .join('/');
}

/** Probes and scrapes every few seconds would drown the access log. */
const UNLOGGED = /^\/(health(\/.*)?|metrics)$/;

/**
 * pino-http's options: one access-log line per request when it ends — method, route, status, duration and
 * correlation id, nothing else of the request (no headers, no query, no body, no token) — at `info` (`error` for a
 * 5xx). Lines logged while the request is handled carry its correlation id.
 */
export function accessLogOptions(logger: Pino): HttpOptions {
  const line = (req: IncomingMessage, res: ServerResponse, durationMs: number) => ({
    correlationId: (req as IncomingMessage & { id: string }).id,
    method: req.method,
    route: routeOf(req),
    status: res.statusCode,
    durationMs: Math.round(durationMs * 10) / 10,
  });
  return {
    logger,
    // Set by the app's first middleware (libs/platform); a request that somehow skipped it gets one here.
    genReqId: (req) => (req as IncomingMessage & { id?: string }).id ?? requestCorrelationId(req),
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'correlationId' },
    autoLogging: { ignore: (req) => UNLOGGED.test((req.url ?? '').split('?')[0]) },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
    customSuccessObject: (req, res, val: { responseTime: number }) => line(req, res, val.responseTime),
    customErrorObject: (req, res, _err, val: { responseTime: number }) => line(req, res, val.responseTime),
  };
}
