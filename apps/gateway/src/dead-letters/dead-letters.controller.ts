import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodPipe } from '@fg/platform';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RequireAccess } from '../auth/permissions';
import { DeadLettersService } from './dead-letters.service';

const filter = {
  topic: z.string().min(1).max(300).optional(),
  code: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/, 'a reason code such as PROVIDER_UNAVAILABLE')
    .optional(),
  consumer: z.string().min(1).max(200).optional(),
};

const listQuery = z.object({
  ...filter,
  status: z.enum(['pending', 'redriven', 'all']).default('pending'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});

const redriveBody = z
  .object({
    ...filter,
    ids: z.array(z.string().uuid()).min(1).max(1000).optional(),
    /** Every dead letter not redriven yet: says so explicitly, so an empty body can't redrive everything. */
    all: z.literal(true).optional(),
  })
  .strict()
  .refine((b) => b.ids || b.topic || b.code || b.consumer || b.all, {
    message: 'name ids, a topic, a code or a consumer, or say all: true',
    path: ['all'],
  });

/** Dead letters of every topic: what no consumer could handle, and sends that failed for good. */
@ApiTags('dead letters')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireAccess('dead-letters:manage', 'all-surveys')
@Controller('ops/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Get()
  @ApiOperation({
    summary: 'List dead letters, newest first, with reason, code and original headers',
    description:
      'Filter by `topic` (full name, e.g. `dispatch.sms`), `code` (e.g. `PROVIDER_UNAVAILABLE`) or `consumer`; `status` pending (default), redriven or all. Pages: pass `nextCursor` back as `cursor`.',
  })
  @ApiQuery({ name: 'topic', required: false })
  @ApiQuery({ name: 'code', required: false })
  @ApiQuery({ name: 'consumer', required: false })
  @ApiQuery({ name: 'status', required: false, enum: ['pending', 'redriven', 'all'] })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Query(new ZodPipe(listQuery)) q: z.infer<typeof listQuery>) {
    return this.deadLetters.list({ ...q, state: q.status });
  }

  @Get('summary')
  @ApiOperation({ summary: 'How many dead letters wait for a redrive, per topic and reason code' })
  summary() {
    return this.deadLetters.summary();
  }

  @Post('redrive')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Redrive dead letters: some ids, a filter, or all (idempotent: each letter is redriven once)',
    description:
      'A record a consumer failed on is published again to its topic (same CloudEvent id: consumers that handled it skip it). A send that failed for good is opened again and tried now; so is an outbound webhook delivery (with a fresh retry schedule).',
  })
  @ApiBody({ schema: { example: { topic: 'dispatch.sms', code: 'PROVIDER_UNAVAILABLE' } } })
  redrive(@Body(new ZodPipe(redriveBody)) b: z.infer<typeof redriveBody>) {
    const { all: _all, ...f } = b;
    return this.deadLetters.redrive(f);
  }

  @Post(':id/redrive')
  @HttpCode(200)
  @ApiOperation({ summary: 'Redrive one dead letter (again only if it was not redriven yet)' })
  redriveOne(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.deadLetters.redrive({ ids: [id] });
  }
}
