import { Injectable } from '@nestjs/common';
import { DomainError, OpsSurfaceAuth } from '@fg/common';
import { ApiKeyService } from './api-key.service';

/**
 * `/metrics` and `/docs` on the gateway's public port need an API key, as Bearer (Prometheus' `authorization`) or
 * as the password of HTTP Basic (what a browser prompts for at `/docs`). Metrics also need `metrics:read`.
 */
@Injectable()
export class ApiKeyOpsSurfaceAuth implements OpsSurfaceAuth {
  constructor(private readonly keys: ApiKeyService) {}

  async check(authorization: string | undefined, surface: 'metrics' | 'docs') {
    const key = keyOf(authorization);
    if (!key)
      return { status: 401 as const, message: 'an API key is required (Bearer, or as the Basic password)' };
    try {
      const p = await this.keys.verify(key);
      if (surface === 'metrics' && !p.permissions.has('metrics:read'))
        return { status: 403 as const, message: 'the API key lacks metrics:read' };
      return null;
    } catch (e) {
      if (e instanceof DomainError) return { status: 401 as const, message: e.message };
      throw e;
    }
  }
}

function keyOf(authorization: string | undefined): string | null {
  if (!authorization) return null;
  if (authorization.startsWith('Bearer ')) return authorization.slice(7).trim();
  if (authorization.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? null : decoded.slice(colon + 1);
  }
  return null;
}
