import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, paths };

/**
 * The ops REST client, typed from the OpenAPI document the gateway generates (`npm run openapi`): every path,
 * parameter, body and answer is checked by the compiler. The console uses it; so can any TypeScript integration.
 *
 *     const ops = opsClient('http://localhost:3000', 'fgk_…');
 *     const { data, error } = await ops.GET('/ops/distributions/{id}', { params: { path: { id } } });
 */
export function opsClient(baseUrl: string, apiKey: string, fetchImpl?: typeof fetch) {
  return createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${apiKey}` },
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
}
