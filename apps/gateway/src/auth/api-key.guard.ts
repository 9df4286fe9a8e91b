import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError, ErrorCode } from '@fg/common';
import { AccessService } from './access.service';
import { ApiKeyService, Principal } from './api-key.service';
import { ACCESS, AccessRequirement } from './permissions';

export type AuthenticatedRequest = Request & { principal?: Principal };

/**
 * Every ops request: `Authorization: Bearer <key>` or `X-API-Key: <key>` (401 without a live key), then the
 * route's declared requirement (403 without the permission, or when the objects it touches belong to a survey
 * the key is not limited to). The one place requests are authorized; see docs/decisions/0013-authorization.md.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly access: AccessService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const auth = req.header('authorization');
    const key = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : req.header('x-api-key');
    if (!key)
      throw new DomainError(ErrorCode.UNAUTHENTICATED, 'an API key is required (Authorization: Bearer …)');
    const principal = await this.keys.verify(key);
    const needed = this.reflector.getAllAndOverride<AccessRequirement | undefined>(ACCESS, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    if (!needed) throw new DomainError(ErrorCode.FORBIDDEN, 'this endpoint declares no permission');
    await this.access.require(principal, needed, req);
    req.principal = principal;
    return true;
  }
}

/** The principal the guard verified (for handlers of guarded routes). */
export const principalOf = (req: AuthenticatedRequest): Principal => {
  if (!req.principal) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'no verified API key');
  return req.principal;
};
