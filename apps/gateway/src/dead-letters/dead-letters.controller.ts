import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiContract, ZodPipe, named } from '@fg/platform';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RequireAccess } from '../auth/permissions';
import { DeadLettersService, deadLetterView } from './dead-letters.service';

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
  cursor: z.string().max(200).optional().describe("the previous page's nextCursor"),
});
const list = new ZodPipe(listQuery);
const id = z.string().uuid('dead letter ids are UUIDs');
const letterId = new ZodPipe(id);

const redriveBody = named(
  'DeadLetterRedriveInput',
  z
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
    }),
);
const redrive = new ZodPipe(redriveBody);

const deadLetter = named('DeadLetter', deadLetterView);
const deadLetterPage = named(
  'DeadLetterPage',
  z.object({ items: z.array(deadLetter), nextCursor: z.string().nullable() }).strict(),
);
const deadLetterSummary = named(
  'DeadLetterSummary',
  z.array(z.object({ source_topic: z.string(), code: z.string(), n: z.number().int() }).strict()),
);
const redriveResult = named(
  'DeadLetterRedriveResult',
  z
    .object({
      redriven: z.number().int().describe('dead letters taken (each once)'),
      republished: z.number().int().describe('records published again to their topic'),
      invitesReopened: z.number().int().describe('sends that had failed for good, tried again now'),
      webhooksReopened: z.number().int().describe('outbound webhook deliveries tried again now'),
    })
    .strict(),
);

/** Dead letters of every topic: what no consumer could handle, and sends that failed for good. */
@ApiTags('dead letters')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireAccess('dead-letters:manage', 'all-surveys')
@Controller('ops/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Get()
  @ApiContract({
    summary: 'List dead letters, newest first, with reason, code and original headers',
    description:
      'Filter by `topic` (full name, e.g. `dispatch.sms`), `code` (e.g. `PROVIDER_UNAVAILABLE`) or `consumer`; `status` pending (default), redriven or all. Pages: pass `nextCursor` back as `cursor`.',
    query: listQuery,
    response: { status: 200, schema: deadLetterPage },
    errors: [401, 403],
  })
  list(@Query(list) q: z.infer<typeof listQuery>) {
    return this.deadLetters.list({ ...q, state: q.status });
  }

  @Get('summary')
  @ApiContract({
    summary: 'How many dead letters wait for a redrive, per topic and reason code',
    response: { status: 200, schema: deadLetterSummary },
    errors: [401, 403],
  })
  summary() {
    return this.deadLetters.summary();
  }

  @Post('redrive')
  @HttpCode(200)
  @ApiContract({
    summary: 'Redrive dead letters: some ids, a filter, or all (idempotent: each letter is redriven once)',
    description:
      'A record a consumer failed on is published again to its topic (same CloudEvent id: consumers that handled it skip it). A send that failed for good is opened again and tried now; so is an outbound webhook delivery (with a fresh retry schedule).',
    body: redriveBody,
    response: { status: 200, schema: redriveResult },
    errors: [401, 403],
  })
  redrive(@Body(redrive) b: z.infer<typeof redriveBody>) {
    const { all: _all, ...f } = b;
    return this.deadLetters.redrive(f);
  }

  @Post(':id/redrive')
  @HttpCode(200)
  @ApiContract({
    summary: 'Redrive one dead letter (again only if it was not redriven yet)',
    params: { id },
    response: { status: 200, schema: redriveResult },
    errors: [401, 403],
  })
  redriveOne(@Param('id', letterId) id: string) {
    return this.deadLetters.redrive({ ids: [id] });
  }
}
