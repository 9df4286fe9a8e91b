import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Clock, DomainError, ErrorCode } from '@fg/common';
import { ApiContract, ZodPipe, isoDateTime, named } from '@fg/platform';
import { ApiKeyGuard, AuthenticatedRequest, principalOf } from './api-key.guard';
import { ApiKeyService, presentKey } from './api-key.service';
import { PERMISSIONS, RequireAccess } from './permissions';

const id = z.string().uuid('API key ids are UUIDs');
const keyId = new ZodPipe(id);

export const apiKeyBody = named(
  'ApiKeyInput',
  z
    .object({
      name: z.string().trim().min(1).max(200),
      permissions: z.array(z.enum(PERMISSIONS)).min(1),
      /** Limit the key to these surveys (their distributions, links, invites, rules, responses); omit for all. */
      surveyIds: z.array(z.string().uuid()).min(1).max(1000).optional(),
      expiresAt: z.coerce.date().optional(),
    })
    .strict(),
);

const listQuery = z.object({
  includeRevoked: z.enum(['true', 'false']).default('false').describe('also list revoked keys'),
});
const list = new ZodPipe(listQuery);

const apiKey = named(
  'ApiKey',
  z
    .object({
      id,
      name: z.string(),
      prefix: z.string().describe('the first characters of the secret, to recognise it'),
      permissions: z.array(z.enum(PERMISSIONS)),
      surveyIds: z.array(z.string().uuid()).nullable().describe('the surveys it is limited to; null: all'),
      expiresAt: isoDateTime.nullable(),
      lastUsedAt: isoDateTime.nullable(),
      createdBy: z.string().nullable(),
      createdAt: isoDateTime,
      rotatedAt: isoDateTime.nullable(),
      revokedAt: isoDateTime.nullable(),
      status: z.enum(['active', 'expired', 'revoked']),
    })
    .strict(),
);
const apiKeyWithSecret = named(
  'ApiKeyWithSecret',
  apiKey.extend({ key: z.string().describe('the secret (fgk_…): shown in this answer only, never again') }),
);
const apiKeyList = named('ApiKeyList', z.array(apiKey));
const whoAmI = named(
  'Me',
  z
    .object({
      keyId: id,
      name: z.string(),
      permissions: z.array(z.enum(PERMISSIONS)),
      surveyIds: z
        .array(z.string().uuid())
        .nullable()
        .describe('the surveys the key is limited to; null: all'),
    })
    .strict(),
);

/** The key a request carries: what it may do (the console shows only that). Any live key. */
@ApiTags('api-keys')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('ops/me')
export class MeController {
  @Get()
  @RequireAccess(null, 'none')
  @ApiContract({
    summary: 'The API key of this request: its name, permissions and the surveys it is limited to',
    response: { status: 200, schema: whoAmI },
    errors: [401],
  })
  me(@Req() req: AuthenticatedRequest) {
    const p = principalOf(req);
    return {
      keyId: p.keyId,
      name: p.name,
      permissions: PERMISSIONS.filter((x) => p.permissions.has(x)),
      surveyIds: p.surveyIds,
    };
  }
}

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
  @ApiContract({
    summary: 'Create a key; the answer carries its secret, shown this once',
    body: apiKeyBody,
    response: { status: 201, schema: apiKeyWithSecret },
    errors: [401, 403],
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
  @ApiContract({
    summary: 'Keys (never their secrets), with when each was last used',
    query: listQuery,
    response: { status: 200, schema: apiKeyList },
    errors: [401, 403],
  })
  async list(@Query(list) q: z.infer<typeof listQuery>) {
    return (await this.keys.list(q.includeRevoked === 'true')).map(presentKey);
  }

  @Get(':id')
  @ApiContract({
    summary: 'One key (never its secret)',
    params: { id },
    response: { status: 200, schema: apiKey },
    errors: [401, 403, 404],
  })
  async get(@Param('id', keyId) id: string) {
    const row = await this.keys.findById(id);
    if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `API key ${id} does not exist`);
    return presentKey(row);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiContract({
    summary: 'Revoke a key: it answers 401 from now on',
    params: { id },
    response: { status: 200, schema: apiKey },
    errors: [401, 403, 404],
  })
  async revoke(@Param('id', keyId) id: string) {
    return presentKey(await this.keys.revoke(id));
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @ApiContract({
    summary: 'A new secret for the key (same permissions and scope); the old secret stops working at once',
    params: { id },
    response: { status: 200, schema: apiKeyWithSecret },
    errors: [401, 403, 404, 409],
  })
  async rotate(@Param('id', keyId) id: string) {
    const { key, row } = await this.keys.rotate(id);
    return { ...presentKey(row), key };
  }
}
