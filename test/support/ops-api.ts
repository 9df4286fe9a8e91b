import type { Server } from 'node:http';
import request from 'supertest';

/** The ops REST with an API key; getters because the server and key only exist after beforeAll. */
export function opsApi(server: () => Server, key: () => string) {
  const h = (extra: Record<string, string> = {}) => ({ Authorization: `Bearer ${key()}`, ...extra });
  return {
    post: (path: string, body: unknown, headers: Record<string, string> = {}) =>
      request(server())
        .post(path)
        .set(h(headers))
        .send(body as object),
    put: (path: string, body: unknown) =>
      request(server())
        .put(path)
        .set(h())
        .send(body as object),
    get: (path: string) => request(server()).get(path).set(h()),
  };
}
