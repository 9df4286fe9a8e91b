import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Clock, DomainError, ErrorCode } from '@fg/common';
import { ZodPipe } from '@fg/platform';
import { ApiKeyGuard, AuthenticatedRequest, principalOf } from './api-key.guard';
import { ApiKeyService, presentKey } from './api-key.service';
import { PERMISSIONS, RequireAccess } from './permissions';

const keyId = new ZodPipe(z.string().uuid('API key ids are UUIDs'));

export const apiKeyBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    permissions: z.array(z.enum(PERMISSIONS)).min(1),
    /** Limit the key to these surveys (their distributions, links, invites, rules, responses); omit for all. */
    surveyIds: z.array(z.string().uuid()).min(1).max(1000).optional(),
    expiresAt: z.coerce.date().optional(),
  })
  .strict();

const listQuery = z.object({ includeRevoked: z.enum(['true', 'false']).default('false') });

/**
 * API keys over REST (`api-keys:manage`, on a key not limited to surveys). A key can only hand out permissions
 * it holds itself. The secret is in the answer to create and rotate, and nowhere else, ever.
 */
@ApiTags('api-keys')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireAccess('api-keys:manage', 'all-surveys')
@Controller('ops/api-keys')
export class ApiKeysController {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly clock: Clock,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a key; the answer carries its secret, shown this once' })
  @ApiBody({
    schema: {
      example: {
        name: 'CRM integration',
        permissions: ['case-events:publish', 'distribution:view'],
        surveyIds: ['00000000-0000-4000-8000-000000000000'],
        expiresAt: '2027-01-01T00:00:00Z',
      },
    },
  })
  async create(
    @Body(new ZodPipe(apiKeyBody)) b: z.infer<typeof apiKeyBody>,
    @Req() req: AuthenticatedRequest,
  ) {
    const me = principalOf(req);
    const beyond = b.permissions.filter((p) => !me.permissions.has(p));
    if (beyond.length)
      throw new DomainError(
        ErrorCode.FORBIDDEN,
        `permissions: this API key can't grant what it doesn't hold (${beyond.join(', ')})`,
        { fields: [{ field: 'permissions', message: `not held by the calling key: ${beyond.join(', ')}` }] },
      );
    if (b.expiresAt && b.expiresAt <= this.clock.now())
      throw new DomainError(ErrorCode.VALIDATION, 'expiresAt: must be in the future', {
        fields: [{ field: 'expiresAt', message: 'must be in the future' }],
      });
    const { key, row } = await this.keys.create(b.name, b.permissions, b.surveyIds ?? null, {
      expiresAt: b.expiresAt ?? null,
      createdBy: `api-key:${me.name}`,
    });
    return { ...presentKey(row), key };
  }

  @Get()
  @ApiOperation({ summary: 'Keys (never their secrets), with when each was last used' })
  @ApiQuery({ name: 'includeRevoked', required: false, enum: ['true', 'false'] })
  async list(@Query(new ZodPipe(listQuery)) q: z.infer<typeof listQuery>) {
    return (await this.keys.list(q.includeRevoked === 'true')).map(presentKey);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One key (never its secret)' })
  async get(@Param('id', keyId) id: string) {
    const row = await this.keys.findById(id);
    if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `API key ${id} does not exist`);
    return presentKey(row);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a key: it answers 401 from now on' })
  async revoke(@Param('id', keyId) id: string) {
    return presentKey(await this.keys.revoke(id));
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'A new secret for the key (same permissions and scope); the old secret stops working at once',
  })
  async rotate(@Param('id', keyId) id: string) {
    const { key, row } = await this.keys.rotate(id);
    return { ...presentKey(row), key };
  }
}
