import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { WEBHOOK_EVENTS } from '@fg/persistence';
import { ApiContract, ZodPipe, isoDateTime, named } from '@fg/platform';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RequireAccess } from '../auth/permissions';
import { OutboundWebhooksService } from './outbound-webhooks.service';

const subscriptionBody = named(
  'WebhookSubscriptionInput',
  z
    .object({
      name: z.string().min(1).max(200),
      url: z
        .string()
        .url()
        .max(2000)
        .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL'),
      events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length),
      enabled: z.boolean().default(true),
    })
    .strict(),
);
const body = new ZodPipe(subscriptionBody);

const logQuery = z.object({
  status: z.enum(['pending', 'succeeded', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const log = new ZodPipe(logQuery);
const id = z.string().uuid('subscription ids are UUIDs');
const uuid = new ZodPipe(id);

const subscription = named(
  'WebhookSubscription',
  z
    .object({
      id: z.string().uuid(),
      name: z.string(),
      url: z.string(),
      events: z.array(z.enum(WEBHOOK_EVENTS)),
      enabled: z.boolean(),
      createdAt: isoDateTime,
      updatedAt: isoDateTime,
    })
    .strict(),
);
const secret = z.string().describe('the signing secret (whsec_…): shown in this answer only, never again');
const subscriptionWithSecret = named('WebhookSubscriptionWithSecret', subscription.extend({ secret }));
const rotated = named('WebhookSecret', z.object({ id: z.string().uuid(), secret }).strict());
const subscriptionList = named('WebhookSubscriptionList', z.array(subscription));
const deliveryLog = named(
  'WebhookDeliveryList',
  z.array(
    z
      .object({
        id: z.string().uuid(),
        eventType: z.enum(WEBHOOK_EVENTS),
        eventId: z.string(),
        status: z.enum(['pending', 'succeeded', 'failed']),
        attempts: z.number().int(),
        nextAttemptAt: isoDateTime.nullable(),
        lastAttemptAt: isoDateTime.nullable(),
        lastStatusCode: z.number().int().nullable(),
        lastError: z.string().nullable(),
        deliveredAt: isoDateTime.nullable(),
        createdAt: isoDateTime,
        payload: z
          .object({ type: z.enum(WEBHOOK_EVENTS), timestamp: z.string(), data: z.record(z.unknown()) })
          .strict()
          .describe('the body as delivered (Standard Webhooks)'),
      })
      .strict(),
  ),
);

/** Outbound webhooks: the customer's endpoints, subscribed to our events, signed per Standard Webhooks. */
@ApiTags('webhooks (outbound)')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireAccess('webhooks:manage', 'all-surveys')
@Controller('ops/webhooks')
export class OutboundWebhooksController {
  constructor(private readonly webhooks: OutboundWebhooksService) {}

  @Post()
  @ApiContract({
    summary: 'Subscribe an endpoint to events; the answer carries its signing secret, shown this once',
    description: `Events: ${WEBHOOK_EVENTS.join(', ')}. Each delivery is a POST of \`{ type, timestamp, data }\` with the Standard Webhooks headers webhook-id (stable across retries), webhook-timestamp and webhook-signature (v1, HMAC-SHA256 with the secret). Retried on non-2xx, timeouts and errors for about 27 h, then dead-lettered.`,
    body: subscriptionBody,
    response: { status: 201, schema: subscriptionWithSecret },
    errors: [401, 403],
  })
  create(@Body(body) b: z.infer<typeof subscriptionBody>) {
    return this.webhooks.create(b);
  }

  @Get()
  @ApiContract({
    summary: 'List webhook subscriptions (without their secrets)',
    response: { status: 200, schema: subscriptionList },
    errors: [401, 403],
  })
  list() {
    return this.webhooks.list();
  }

  @Get(':id')
  @ApiContract({
    summary: 'A webhook subscription',
    params: { id },
    response: { status: 200, schema: subscription },
    errors: [401, 403, 404],
  })
  get(@Param('id', uuid) id: string) {
    return this.webhooks.get(id);
  }

  @Put(':id')
  @ApiContract({
    summary: 'Replace a subscription (name, url, events, enabled); a disabled one holds its deliveries',
    params: { id },
    body: subscriptionBody,
    response: { status: 200, schema: subscription },
    errors: [401, 403, 404],
  })
  update(@Param('id', uuid) id: string, @Body(body) b: z.infer<typeof subscriptionBody>) {
    return this.webhooks.update(id, b);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiContract({
    summary: 'Delete a subscription and its delivery log',
    params: { id },
    response: { status: 204, description: 'deleted' },
    errors: [401, 403, 404],
  })
  remove(@Param('id', uuid) id: string) {
    return this.webhooks.remove(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiContract({
    summary: 'A new signing secret, shown this once; deliveries from now on are signed with it',
    params: { id },
    response: { status: 200, schema: rotated },
    errors: [401, 403, 404],
  })
  rotate(@Param('id', uuid) id: string) {
    return this.webhooks.rotateSecret(id);
  }

  @Get(':id/deliveries')
  @ApiContract({
    summary: "The subscription's delivery log, newest first: attempts, last answer, next attempt",
    params: { id },
    query: logQuery,
    response: { status: 200, schema: deliveryLog },
    errors: [401, 403, 404],
  })
  deliveries(@Param('id', uuid) id: string, @Query(log) q: z.infer<typeof logQuery>) {
    return this.webhooks.deliveryLog(id, q);
  }
}
