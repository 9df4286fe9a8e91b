import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError, ErrorCode } from '@fg/common';
import { ApiKeyService, Principal } from './api-key.service';
import { REQUIRED_PERMISSION } from './permissions';

/** Ops endpoints: `Authorization: Bearer <key>` or `X-API-Key: <key>`; 401 without a valid key, 403 without the permission. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const auth = req.header('authorization');
    const key = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : req.header('x-api-key');
    if (!key)
      throw new DomainError(ErrorCode.UNAUTHENTICATED, 'an API key is required (Authorization: Bearer …)');
    const principal = await this.keys.verify(key);
    if (!principal) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'the API key is not valid');
    const needed = this.reflector.getAllAndOverride<string | undefined>(REQUIRED_PERMISSION, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    if (!needed) throw new DomainError(ErrorCode.FORBIDDEN, 'this endpoint declares no permission');
    if (!principal.permissions.has(needed))
      throw new DomainError(ErrorCode.FORBIDDEN, `the API key lacks the permission "${needed}"`, { needed });
    req.principal = principal;
    return true;
  }
}
