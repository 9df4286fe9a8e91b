import { LinkIssuer } from '@fg/links';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig, Clock, DomainError, ErrorCode, newId } from '@fg/common';
import { CloudEvent } from '@fg/contracts';
import {
  WebhookDeliveryRepository,
  WebhookDeliveryStatus,
  WebhookEventType,
  WebhookSubscriptionEntity,
  WebhookSubscriptionRepository,
  ReferenceCache,
  readThrough,
} from '@fg/persistence';
import { WebhookSecretBox, newWebhookSecret } from './webhook-signing';

export interface SubscriptionInput {
  name: string;
  url: string;
  events: WebhookEventType[];
  enabled?: boolean;
}

/** A subscription as the API shows it: never its secret (shown once, at creation and rotation). */
const present = ({ secretCiphertext: _s, ...rest }: WebhookSubscriptionEntity) => rest;

/** Subscriptions of the customer's endpoints to our events, and the fan-out of events into deliveries. */
@Injectable()
export class OutboundWebhooksService {
  readonly box: WebhookSecretBox;

  constructor(
    private readonly subscriptions: WebhookSubscriptionRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) cfg: AppConfig,
    private readonly issuer: LinkIssuer,
    private readonly cache: ReferenceCache,
  ) {
    this.box = new WebhookSecretBox(cfg.LINK_SIGNING_SECRET);
  }

  async create(input: SubscriptionInput) {
    const secret = newWebhookSecret();
    const s = await this.subscriptions.insert({
      id: newId(),
      name: input.name,
      url: input.url,
      events: input.events,
      enabled: input.enabled ?? true,
      secretCiphertext: this.box.seal(secret),
    });
    return { ...present(s), secret };
  }

  async list() {
    return (await this.subscriptions.list()).map(present);
  }

  async get(id: string) {
    return present(await this.require(id));
  }

  async update(id: string, input: SubscriptionInput) {
    await this.require(id);
    return present((await this.subscriptions.update(id, input))!);
  }

  async remove(id: string) {
    if (!(await this.subscriptions.delete(id)))
      throw new DomainError(ErrorCode.NOT_FOUND, `webhook subscription ${id} does not exist`);
  }

  /** A new secret, shown once; deliveries from now on are signed with it. */
  async rotateSecret(id: string) {
    await this.require(id);
    const secret = newWebhookSecret();
    await this.subscriptions.update(id, { secretCiphertext: this.box.seal(secret) });
    return { id, secret };
  }

  async deliveryLog(id: string, q: { status?: WebhookDeliveryStatus; limit: number }) {
    await this.require(id);
    const rows = await this.issuer.resolveRefs(await this.deliveries.list({ subscriptionId: id, ...q }));
    return rows.map((d) => ({
      id: d.id,
      eventType: d.event_type,
      eventId: d.event_id,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: d.next_attempt_at,
      lastAttemptAt: d.last_attempt_at,
      lastStatusCode: d.last_status_code,
      lastError: d.last_error,
      deliveredAt: d.delivered_at,
      createdAt: d.created_at,
      payload: d.payload,
    }));
  }

  /**
   * In the consumer's transaction: one delivery per enabled subscription to this event type and event (a
   * redelivered event enqueues nothing new). The body follows Standard Webhooks: `{ type, timestamp, data }`.
   */
  async enqueue(em: EntityManager, type: WebhookEventType, events: CloudEvent[]): Promise<number> {
    const subs = (
      await readThrough(this.cache, 'webhook_subscriptions', type, () =>
        this.subscriptions.enabledFor(em, [type]),
      )
    ).filter((s) => s.events.includes(type));
    if (!subs.length || !events.length) return 0;
    const now = this.clock.now();
    // Kept with link references in place of survey-link URLs (resolved again when each attempt is signed).
    const data = await this.issuer.refsOf(events.map((e) => e.data));
    return this.deliveries.enqueue(
      em,
      subs.flatMap((s) =>
        events.map((e, i) => ({
          id: newId(),
          subscription_id: s.id,
          event_type: type,
          event_id: `${e.source}#${e.id}`,
          payload: { type, timestamp: e.time ?? now.toISOString(), data: data[i] },
          created_at: now,
          next_attempt_at: now,
        })),
      ),
    );
  }

  private async require(id: string) {
    const s = await this.subscriptions.findById(id);
    if (!s) throw new DomainError(ErrorCode.NOT_FOUND, `webhook subscription ${id} does not exist`);
    return s;
  }
}
