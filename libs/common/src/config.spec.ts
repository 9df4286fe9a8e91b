import { ConfigError, loadConfig } from './config';

const base = {
  DATABASE_URL: 'postgres://u@h/db',
  PUBLIC_BASE_URL: 'https://s.example.com',
  LINK_SIGNING_SECRET: 'x'.repeat(32),
  KAFKA_BROKERS: '127.0.0.1:9092',
};

describe('configuration', () => {
  it('has no default for secrets and names what is missing, never its value', () => {
    const { LINK_SIGNING_SECRET: _omit, ...noSecret } = base;
    expect(() => loadConfig(noSecret)).toThrow(/LINK_SIGNING_SECRET: Required/);
    expect(() => loadConfig({ ...base, LINK_SIGNING_SECRET: 'short-secret' })).toThrow(
      /at least 32 characters/,
    );
    try {
      loadConfig({ ...base, LINK_SIGNING_SECRET: 'short-secret' });
    } catch (e) {
      expect((e as ConfigError).message).not.toContain('short-secret');
    }
  });

  it('requires what each app needs', () => {
    expect(() => loadConfig(base, { sendgrid: true })).toThrow(/SENDGRID_API_KEY: required/);
    expect(() => loadConfig(base, { sendgridWebhook: true })).toThrow(/SENDGRID_WEBHOOK_PUBLIC_KEY/);
    expect(() => loadConfig({ ...base, KAFKA_BROKERS: undefined }, { kafka: true })).toThrow(/KAFKA_BROKERS/);
    expect(() => loadConfig({ ...base, TWILIO_ACCOUNT_SID: 'XX123' })).toThrow(
      /TWILIO_ACCOUNT_SID must look like AC/,
    );
    expect(loadConfig({ ...base, CHANNEL_PROVIDERS: 'sandbox' }, { sendgrid: true }).CHANNEL_PROVIDERS).toBe(
      'sandbox',
    );
  });

  it('parses the broker list', () => {
    expect(loadConfig({ ...base, KAFKA_BROKERS: 'a:1, b:2' }).KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
  });
});
