import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { WEBHOOK_EVENTS } from '@fg/persistence';
import { ZodPipe } from '@fg/platform';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RequireAccess } from '../auth/permissions';
import { OutboundWebhooksService } from './outbound-webhooks.service';

const subscriptionBody = z
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
  .strict();

const logQuery = z.object({
  status: z.enum(['pending', 'succeeded', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const uuid = new ParseUUIDPipe();

/** Outbound webhooks: the customer's endpoints, subscribed to our events, signed per Standard Webhooks. */
@ApiTags('webhooks (outbound)')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireAccess('webhooks:manage', 'all-surveys')
@Controller('ops/webhooks')
export class OutboundWebhooksController {
  constructor(private readonly webhooks: OutboundWebhooksService) {}

  @Post()
  @ApiOperation({
    summary: 'Subscribe an endpoint to events; the answer carries its signing secret, shown this once',
    description: `Events: ${WEBHOOK_EVENTS.join(', ')}. Each delivery is a POST of \`{ type, timestamp, data }\` with the Standard Webhooks headers webhook-id (stable across retries), webhook-timestamp and webhook-signature (v1, HMAC-SHA256 with the secret). Retried on non-2xx, timeouts and errors for about 27 h, then dead-lettered.`,
  })
  @ApiBody({
    schema: {
      example: {
        name: 'CRM',
        url: 'https://crm.example.com/hooks/feedback',
        events: ['link.issued', 'case.field-updates', 'invite.status'],
      },
    },
  })
  create(@Body(new ZodPipe(subscriptionBody)) b: z.infer<typeof subscriptionBody>) {
    return this.webhooks.create(b);
  }

  @Get()
  @ApiOperation({ summary: 'List webhook subscriptions (without their secrets)' })
  list() {
    return this.webhooks.list();
  }

  @Get(':id')
  @ApiOperation({ summary: 'A webhook subscription' })
  get(@Param('id', uuid) id: string) {
    return this.webhooks.get(id);
  }

  @Put(':id')
  @ApiOperation({
    summary: 'Replace a subscription (name, url, events, enabled); a disabled one holds its deliveries',
  })
  update(
    @Param('id', uuid) id: string,
    @Body(new ZodPipe(subscriptionBody)) b: z.infer<typeof subscriptionBody>,
  ) {
    return this.webhooks.update(id, b);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a subscription and its delivery log' })
  remove(@Param('id', uuid) id: string) {
    return this.webhooks.remove(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'A new signing secret, shown this once; deliveries from now on are signed with it',
  })
  rotate(@Param('id', uuid) id: string) {
    return this.webhooks.rotateSecret(id);
  }

  @Get(':id/deliveries')
  @ApiOperation({
    summary: "The subscription's delivery log, newest first: attempts, last answer, next attempt",
  })
  @ApiQuery({ name: 'status', required: false, enum: ['pending', 'succeeded', 'failed'] })
  @ApiQuery({ name: 'limit', required: false })
  deliveries(@Param('id', uuid) id: string, @Query(new ZodPipe(logQuery)) q: z.infer<typeof logQuery>) {
    return this.webhooks.deliveryLog(id, q);
  }
}
