import { LinkIssuer } from '@fg/links';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig, Clock, Metrics } from '@fg/common';
import { DeadLetters, UnitOfWork } from '@fg/messaging';
import { WebhookDeliveryRepository, WebhookSubscriptionRepository } from '@fg/persistence';
import { OutboundWebhooksService } from './outbound-webhooks.service';
import { signWebhook } from './webhook-signing';

const BATCH = 50;
const CONCURRENCY = 10;

/**
 * Delivers outbound webhooks: takes due deliveries (SKIP LOCKED, with a lease, so several gateways share the work and
 * a crashed one's attempts are taken again), POSTs each signed body, and records the answer. A 2xx is delivered; any
 * other answer, a timeout or an unreachable endpoint waits for the next step of WEBHOOK_RETRY_SCHEDULE_SECONDS (about
 * 27 h by default); after the last one the delivery is failed and dead-lettered, for an operator to redrive. At least
 * once: a receiver deduplicates by `webhook-id`, which stays the same across retries.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('OutboundWebhooks');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly subscriptions: WebhookSubscriptionRepository,
    private readonly webhooks: OutboundWebhooksService,
    private readonly deadLetters: DeadLetters,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly issuer: LinkIssuer,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => this.wake(), this.cfg.WEBHOOK_POLL_MS);
  }

  async onModuleDestroy() {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Looks for due deliveries now (after events were enqueued) unless a pass is running. */
  wake() {
    if (this.stopped || this.running) return;
    this.running = this.deliverDue()
      .catch((e: Error) => {
        this.log.error(`delivering webhooks failed: ${e.message}`);
        return 0;
      })
      .finally(() => (this.running = undefined));
  }

  /** Attempts every due delivery, a batch at a time; returns how many were attempted. */
  async deliverDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const now = this.clock.now();
      const lease = new Date(now.getTime() + this.cfg.WEBHOOK_TIMEOUT_MS + 30_000);
      const due = await this.uow.run((em) => this.deliveries.claimDue(em, now, lease, BATCH));
      if (!due.length) return total;
      const subs = new Map(
        (await this.subscriptions.findMany([...new Set(due.map((d) => d.subscription_id))])).map((s) => [
          s.id,
          s,
        ]),
      );
      let next = 0;
      const worker = async () => {
        while (next < due.length) {
          const d = due[next++];
          const sub = subs.get(d.subscription_id);
          if (sub) await this.attempt(d, sub);
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, due.length) }, worker));
      total += due.length;
      if (due.length < BATCH || this.stopped) return total;
    }
  }

  private async attempt(
    d: Awaited<ReturnType<WebhookDeliveryRepository['claimDue']>>[number],
    sub: { id: string; url: string; name: string; secretCiphertext: string; enabled: boolean },
  ) {
    const schedule = this.cfg.WEBHOOK_RETRY_SCHEDULE_SECONDS;
    if (!sub.enabled) {
      // Held, not failed, while the subscription is disabled: the lease brings it back later.
      return;
    }
    const body = JSON.stringify(await this.issuer.resolveRefs(d.payload));
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      // The signature's timestamp is the wall clock of this attempt (receivers check it against theirs).
      const headers = signWebhook(this.webhooks.box.open(sub.secretCiphertext), d.id, new Date(), body);
      const res = await fetch(sub.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'feedback-gateway-webhooks',
          ...headers,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.cfg.WEBHOOK_TIMEOUT_MS),
      });
      statusCode = res.status;
      await res.body?.cancel();
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (e) {
      error = (e as Error).name === 'TimeoutError' ? 'timeout' : `unreachable: ${(e as Error).message}`;
    }
    const now = this.clock.now();
    const attempt = d.attempts + 1;
    const wait = schedule[attempt - 1];
    const status = !error ? 'succeeded' : wait === undefined ? 'failed' : 'pending';
    this.metrics.webhookDeliveries.inc({ outcome: status === 'pending' ? 'retry' : status });
    await this.uow.run(async (em) => {
      await this.deliveries.recordAttempt(em, {
        id: d.id,
        at: now,
        status,
        statusCode,
        error,
        nextAttemptAt: status === 'pending' ? new Date(now.getTime() + wait * 1000) : null,
      });
    });
    if (status === 'failed') {
      this.log.warn(`webhook ${d.id} to ${sub.name} failed after ${attempt} attempts: ${error}`);
      await this.deadLetters.send({
        record: {
          topic: `webhook:${sub.id}`,
          key: d.id,
          value: Buffer.from(body),
          headers: { 'webhook-id': d.id, 'webhook-event-type': d.event_type, 'webhook-url': sub.url },
        },
        consumer: 'gateway-webhooks',
        reason: `WEBHOOK_FAILED: ${error} after ${attempt} attempts`,
        code: 'WEBHOOK_FAILED',
        webhookDeliveryId: d.id,
        publish: false,
      });
    }
  }
}
