import { z } from 'zod';

/**
 * Every setting the apps read, validated once at boot. Secrets have no defaults: a missing one stops the
 * process with a message that names the variable (never its value).
 */
const csv = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string()).min(1));

export const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** auto: pretty on a terminal, JSON otherwise. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  DATABASE_URL: z.string().url('DATABASE_URL must be a postgres:// URL'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  KAFKA_BROKERS: csv.optional(),
  KAFKA_CLIENT_ID: z.string().default('feedback-gateway'),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/, 'letters, digits, . _ - only')
    .default(''),
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(6),
  /**
   * A killed consumer's partitions move to the others after this long, and a rejoin after a broker restart waits at
   * most this long for the group (the broker allows 6 000–300 000 by default; chaos tests measured the recovery).
   */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300000).default(6000),
  KAFKA_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).max(60000).default(1000),
  /** Consumer offsets are committed at most this often per group (0: after every batch); a crash redelivers ≤ this. */
  KAFKA_COMMIT_INTERVAL_MS: z.coerce.number().int().min(0).max(60000).default(1000),
  PUBLIC_BASE_URL: z.string().url('PUBLIC_BASE_URL must be the public URL survey links start with'),
  LINK_SIGNING_SECRET: z
    .string()
    .min(32, 'LINK_SIGNING_SECRET must be at least 32 characters of random data'),
  SENDGRID_API_KEY: z.string().min(1).optional(),
  SENDGRID_API_BASE_URL: z.string().url().default('https://api.sendgrid.com/'),
  SENDGRID_WEBHOOK_PUBLIC_KEY: z.string().min(1).optional(),
  /** Oldest signed SendGrid event batch accepted (SendGrid retries for up to 24 h; default 25 h). */
  SENDGRID_WEBHOOK_MAX_AGE_SECONDS: z.coerce.number().int().min(60).max(604800).default(90000),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'TWILIO_ACCOUNT_SID must look like AC followed by 32 hex digits')
    .optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_API_BASE_URL: z.string().url().optional(),
  CHANNEL_PROVIDERS: z.enum(['live', 'sandbox']).default('live'),
  /** A mailbox that unsubscribes whoever writes to it, offered in List-Unsubscribe beside the one-click URL. */
  UNSUBSCRIBE_MAILTO: z.string().email().optional(),
  /** Sandbox providers report simulated receipts (delivered; bounce@… bounces, +1555…0001 fails, open@… opens). */
  SANDBOX_RECEIPTS: z.enum(['simulate', 'off']).default('simulate'),
  /** Reference data (rules, distributions, templates, …) cached per process, dropped on change (LISTEN/NOTIFY). */
  REFERENCE_CACHE: z.enum(['on', 'off']).default('on'),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60000).default(1000),
  /** Readiness reports a consumer group this many records behind, or an outbox row this old, as degraded. */
  HEALTH_MAX_CONSUMER_LAG: z.coerce.number().int().min(1).default(10000),
  HEALTH_MAX_OUTBOX_AGE_SECONDS: z.coerce.number().int().min(1).default(60),
  CONSUMER_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(5),
  INBOX_RETENTION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 365)
    .default(168),
  SEND_RATE_PER_SECOND_EMAIL: z.coerce.number().positive().max(100000).default(600),
  SEND_RATE_PER_SECOND_SMS: z.coerce.number().positive().max(100000).default(30),
  SEND_RATE_PER_SECOND_WHATSAPP: z.coerce.number().positive().max(100000).default(30),
  /**
   * How long a send that the provider can't take (429/5xx, unreachable, circuit open) keeps being retried, counted
   * from its first deferral; after it the invite is Failed (PROVIDER_UNAVAILABLE) and dead-lettered. 0: no retries.
   */
  SEND_RETRY_HORIZON_MINUTES: z.coerce.number().min(0).max(10080).default(720),
  /** The first retry's delay; each next one doubles (with jitter) up to SEND_RETRY_MAX_DELAY_MS. */
  SEND_RETRY_BASE_MS: z.coerce.number().int().min(1).max(600000).default(1000),
  SEND_RETRY_MAX_DELAY_MS: z.coerce.number().int().min(1).max(86400000).default(900000),
  /** How often a sender looks for deferred sends that are due. */
  SEND_RETRY_POLL_MS: z.coerce.number().int().min(10).max(60000).default(1000),
  /** Consecutive 429/5xx/unreachable answers that open a provider account's circuit (pausing its dispatches). */
  SEND_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  /** How long an open circuit waits before one probe call. */
  SEND_BREAKER_HALF_OPEN_MS: z.coerce.number().int().min(10).max(3600000).default(5000),
  /** A send whose answer was never recorded (the process died during the call) is settled after this long. */
  SEND_RECONCILE_AFTER_MINUTES: z.coerce.number().min(0.01).max(10080).default(2),
  /** How often the gateway looks for outbound webhook deliveries that are due. */
  WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60000).default(1000),
  /** How long a customer's endpoint may take to answer before the attempt counts as failed. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(10000),
  /**
   * Waits between attempts of an outbound webhook, in seconds (Standard Webhooks' schedule: 5 s, 5 min, 30 min, 2 h,
   * 5 h, 10 h, 10 h — about 27 h in all); after the last one the delivery is failed and dead-lettered.
   */
  WEBHOOK_RETRY_SCHEDULE_SECONDS: csv
    .transform((l) => l.map(Number))
    .pipe(z.array(z.number().int().min(0).max(604800)))
    .default('5,300,1800,7200,18000,36000,36000'),
  /** How long an Idempotency-Key's answer is kept (a retry after that runs as a new request). */
  IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().min(1).max(720).default(24),
  /** Express "trust proxy": which proxies' X-Forwarded-For to believe (e.g. "loopback", "10.0.0.0/8", "1"). */
  TRUST_PROXY: z.string().optional(),
  LINK_GUESSES_PER_MINUTE: z.coerce.number().int().min(1).max(100000).default(30),
  RULES_MAX_CHAIN_DEPTH: z.coerce.number().int().min(1).max(100).default(8),
  RULES_TIMER_POLL_MS: z.coerce.number().int().min(10).max(60000).default(1000),
  RULES_TRACE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
});

export type AppConfig = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigRequirements {
  /** The app sends email through SendGrid (production mode). */
  sendgrid?: boolean;
  /** The app verifies SendGrid webhooks. */
  sendgridWebhook?: boolean;
  /** The app calls Twilio or verifies its signatures. */
  twilio?: boolean;
  /** The app needs a Kafka broker (every app outside the embedded mode). */
  kafka?: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv, req: ConfigRequirements = {}): AppConfig {
  // An empty variable (FOO= in a compose file) means "not set", not "set to nothing".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const cfg = parsed.data;
  const problems: string[] = [];
  const live = cfg.CHANNEL_PROVIDERS === 'live';
  if (req.kafka && !cfg.KAFKA_BROKERS)
    problems.push('KAFKA_BROKERS: required (comma-separated host:port list)');
  if (req.sendgrid && live && !cfg.SENDGRID_API_KEY)
    problems.push('SENDGRID_API_KEY: required when CHANNEL_PROVIDERS=live');
  if (req.sendgridWebhook && !cfg.SENDGRID_WEBHOOK_PUBLIC_KEY)
    problems.push('SENDGRID_WEBHOOK_PUBLIC_KEY: required to verify the SendGrid event webhook');
  if (req.twilio && live && (!cfg.TWILIO_ACCOUNT_SID || !cfg.TWILIO_AUTH_TOKEN))
    problems.push('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: required when CHANNEL_PROVIDERS=live');
  if (problems.length) throw new ConfigError(problems);
  return cfg;
}

/** Injection token for the validated configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');
