import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { WebhookEventType, WebhookSubscriptionEntity } from '../entities/webhook-subscription.entity';

/** The only SQL for `webhook_subscriptions`. */
@Injectable()
export class WebhookSubscriptionRepository {
  constructor(private readonly ds: DataSource) {}

  async insert(s: Omit<WebhookSubscriptionEntity, 'createdAt' | 'updatedAt'>, em = this.ds.manager) {
    await em.getRepository(WebhookSubscriptionEntity).insert(s);
    return (await this.findById(s.id, em))!;
  }

  findById(id: string, em: EntityManager = this.ds.manager) {
    return em.getRepository(WebhookSubscriptionEntity).findOne({ where: { id } });
  }

  list(em: EntityManager = this.ds.manager) {
    return em.getRepository(WebhookSubscriptionEntity).find({ order: { createdAt: 'ASC' } });
  }

  async update(
    id: string,
    patch: Partial<
      Pick<WebhookSubscriptionEntity, 'name' | 'url' | 'events' | 'enabled' | 'secretCiphertext'>
    >,
    em: EntityManager = this.ds.manager,
  ) {
    await em.getRepository(WebhookSubscriptionEntity).update({ id }, patch);
    return this.findById(id, em);
  }

  async delete(id: string, em: EntityManager = this.ds.manager): Promise<boolean> {
    const r = await em.getRepository(WebhookSubscriptionEntity).delete({ id });
    return (r.affected ?? 0) > 0;
  }

  /** Enabled subscriptions to any of these events. */
  async enabledFor(em: EntityManager, events: WebhookEventType[]): Promise<WebhookSubscriptionEntity[]> {
    if (!events.length) return [];
    return em.query(
      `SELECT id, name, url, events, secret_ciphertext AS "secretCiphertext", enabled
       FROM webhook_subscriptions WHERE enabled AND events ?| $1::text[]`,
      [events],
    );
  }

  findMany(ids: string[], em: EntityManager = this.ds.manager) {
    if (!ids.length) return Promise.resolve([]);
    return em
      .getRepository(WebhookSubscriptionEntity)
      .createQueryBuilder('s')
      .where('s.id = ANY(:ids)', { ids })
      .getMany();
  }
}
