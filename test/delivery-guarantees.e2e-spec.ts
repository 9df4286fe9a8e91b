import { randomUUID } from 'node:crypto';
import { Topics } from '@fg/contracts';
import { ChannelSenderService } from '@fg/senders';
import { ApiKeyService } from '../apps/gateway/src/auth/api-key.service';
import { eventually } from './support/eventually';
import { KafkaTestClient, structuredEvent } from './support/kafka';
import { opsApi } from './support/ops-api';
import { Pipeline, testConfig } from './support/pipeline';
import { smsDistribution as createSmsDistribution } from './support/sms-distribution';
import { TwilioStub } from './support/twilio-stub';

const SID = `AC${'d4'.repeat(16)}`;
const TOKEN = 'twilio-token-for-delivery-tests';
const SMS_FROM = '+15005550016';
/** How long the provider is down in the outage test. */
const OUTAGE_MS = 60_000;

/**
 * Issue #10 on the real broker and Postgres with the real `twilio` client against a local Twilio: a provider that
 * fails part of its calls, then is down, then comes back. Whatever it answers, every case ends with exactly one
 * message Twilio accepted, none twice, none stranded or Failed; while it is down the circuit breaker stops the
 * calls (a probe now and then) instead of hammering it, and sends resume by themselves when it is back.
 */
describe('delivery guarantees: provider failures and outages', () => {
  const twilio = new TwilioStub();
  const kafka = new KafkaTestClient();
  let pipeline: Pipeline;
  let key: string;
  let topic: (k: keyof typeof Topics) => string;
  let mode: 'flaky' | 'down' | 'up' = 'up';
  let n = 0;

  beforeAll(async () => {
    await twilio.start();
    // Every third call fails while flaky: 429 (no Retry-After) and 503 alternately; every call fails while down.
    twilio.respondWith(() => {
      n++;
      if (mode === 'down' || (mode === 'flaky' && n % 3 === 0))
        return n % 2
          ? { status: 503, body: { code: 20503, message: 'Service unavailable', status: 503 } }
          : { status: 429, body: { code: 20429, message: 'Too Many Requests', status: 429 } };
      return undefined;
    });
    const config = testConfig({
      TWILIO_ACCOUNT_SID: SID,
      TWILIO_AUTH_TOKEN: TOKEN,
      TWILIO_API_BASE_URL: twilio.url,
      SEND_RETRY_BASE_MS: '50',
      SEND_RETRY_MAX_DELAY_MS: '400',
      SEND_RETRY_POLL_MS: '50',
      SEND_BREAKER_FAILURES: '5',
      SEND_BREAKER_HALF_OPEN_MS: '500',
    });
    topic = (k) => `${config.KAFKA_TOPIC_PREFIX}${Topics[k].name}`;
    pipeline = await new Pipeline(config).start(['gateway', 'rules', 'link-issuer', 'sender-sms']);
    key = (
      await pipeline.apps
        .get('gateway')!
        .get(ApiKeyService)
        .create('delivery admin', ['rules:configure', 'distribution:edit', 'distribution:view'])
    ).key;
  });

  afterAll(async () => {
    await kafka.close();
    await pipeline?.close();
    await twilio.close();
  });

  const api = opsApi(
    () => pipeline.gateway,
    () => key,
  );

  const smsDistribution = () =>
    createSmsDistribution(pipeline.ds, api, {
      from: SMS_FROM,
      text: 'How did we do on {{case_number}}? {{survey_link}}',
    });

  /** `count` resolved cases, each with its own phone number. */
  function cases(d: string, count: number) {
    return Array.from({ length: count }, (_, i) => {
      const caseId = `case-${randomUUID()}`;
      const phone = `+1415${String(Math.floor(Math.random() * 1e6) * 10 + (i % 10)).padStart(7, '0')}`;
      return {
        caseId,
        phone,
        msg: structuredEvent(caseId, 'case.updated', {
          caseId,
          caseNumber: caseId.slice(5, 13),
          customFields: { program: d },
          contact: { name: 'Ada', phone },
        }),
      };
    });
  }

  const statuses = async (caseIds: string[]) =>
    pipeline.ds.query<{ case_id: string; status: string; delivery_status: string }[]>(
      `SELECT case_id, status, delivery_status FROM invites WHERE case_id = ANY($1)`,
      [caseIds],
    );

  /** Exactly one message Twilio took for each case's number, and every invite Invite Sent. */
  async function expectExactlyOnce(batch: { caseId: string; phone: string }[]) {
    const rows = await statuses(batch.map((c) => c.caseId));
    expect(rows).toHaveLength(batch.length);
    expect(rows.filter((r) => r.status !== 'Invite Sent')).toEqual([]);
    const counts = batch.map((c) => twilio.accepted(c.phone).length);
    expect(counts.filter((x) => x !== 1)).toEqual([]);
  }

  it('a provider failing a third of its calls: every case gets exactly one message', async () => {
    const d = await smsDistribution();
    const batch = cases(d, 30);
    mode = 'flaky';
    await kafka.produce(
      topic('caseEvents'),
      batch.map((c) => c.msg),
    );
    await eventually(async () => {
      const rows = await statuses(batch.map((c) => c.caseId));
      expect(rows.filter((r) => r.status === 'Invite Sent')).toHaveLength(batch.length);
    }, 60_000);
    await expectExactlyOnce(batch);
    const failedCalls =
      twilio.messages((r) => batch.some((c) => c.phone === r.form.To)).length - batch.length;
    expect(failedCalls).toBeGreaterThan(0); // the provider did fail some calls; they were retried
    mode = 'up';
  });

  it(
    'a provider down for a minute: sends wait (deferred, circuit open, few probes) and go out once when it is back',
    async () => {
      const d = await smsDistribution();
      const sender = pipeline.apps.get('sender-sms')!.get(ChannelSenderService);
      mode = 'down';
      const batch = cases(d, 20);
      await kafka.produce(
        topic('caseEvents'),
        batch.map((c) => c.msg),
      );
      await eventually(() => expect(sender.circuit.state).not.toBe('closed'), 30_000);
      // While down: nothing Failed; the sends that reached the sender wait as deferred.
      await eventually(async () => {
        const rows = await statuses(batch.map((c) => c.caseId));
        expect(rows.some((r) => r.delivery_status === 'deferred')).toBe(true);
      });
      const before = twilio.messages().length;
      const windowStart = Date.now();
      // The outage goes on for a minute (the fault's duration, not a wait for a result)…
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      const duringOutage = twilio.messages().length - before;
      const rows = await statuses(batch.map((c) => c.caseId));
      expect(rows.filter((r) => r.status === 'Failed')).toEqual([]);
      // …with the circuit open, only probes reach Twilio (one per 500 ms half-open wait, plus calls in flight).
      expect(duringOutage).toBeLessThanOrEqual(Math.ceil((Date.now() - windowStart) / 500) + 6);

      mode = 'up';
      const back = Date.now();
      await eventually(async () => {
        const r = await statuses(batch.map((c) => c.caseId));
        expect(r.filter((x) => x.status === 'Invite Sent')).toHaveLength(batch.length);
      }, 60_000);
      process.stdout.write(
        `delivery-guarantees: all ${batch.length} sends went out ${Date.now() - back} ms after the provider came back` +
          '\n',
      );
      expect(sender.circuit.state).toBe('closed');
      await expectExactlyOnce(batch);
    },
    OUTAGE_MS + 90_000,
  );
});
