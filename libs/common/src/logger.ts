import { LoggerService } from '@nestjs/common';
import { currentCorrelationId } from './correlation';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

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
  if (value instanceof Error) return { name: value.name, message: maskPii(value.message) };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = SECRET_KEYS.test(k) ? '[redacted]' : redact(v, depth + 1);
    return out;
  }
  return value;
}

/** Structured JSON logs on stdout, one object a line, with the correlation id of the event being handled. */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly app: string,
    private readonly level: Level | 'silent' = 'info',
    private readonly write: (line: string) => void = (l) => process.stdout.write(l + '\n'),
  ) {}

  private emit(level: Level, message: unknown, context?: string, extra?: Record<string, unknown>) {
    if (ORDER[level] < ORDER[this.level]) return;
    const entry: Record<string, unknown> = {
      time: new Date().toISOString(),
      level,
      app: this.app,
      context,
      correlationId: currentCorrelationId(),
      msg: typeof message === 'string' ? maskPii(message) : redact(message),
      ...(extra ? (redact(extra) as Record<string, unknown>) : {}),
    };
    this.write(JSON.stringify(entry));
  }

  log(message: unknown, ...rest: unknown[]) {
    this.emit('info', message, ctx(rest), fields(rest));
  }
  error(message: unknown, ...rest: unknown[]) {
    this.emit('error', message, ctx(rest), fields(rest));
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.emit('warn', message, ctx(rest), fields(rest));
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.emit('debug', message, ctx(rest), fields(rest));
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.emit('debug', message, ctx(rest), fields(rest));
  }
}

function ctx(rest: unknown[]): string | undefined {
  const last = rest[rest.length - 1];
  return typeof last === 'string' ? last : undefined;
}
function fields(rest: unknown[]): Record<string, unknown> | undefined {
  const obj = rest.find((r) => r && typeof r === 'object' && !(r instanceof Error));
  const err = rest.find((r) => r instanceof Error);
  const stack = rest.find((r) => typeof r === 'string' && r.includes('\n    at '));
  if (!obj && !err && !stack) return undefined;
  return {
    ...(obj as Record<string, unknown>),
    ...(err ? { err } : {}),
    ...(stack ? { stack: stack } : {}),
  };
}
