/**
 * Loaded into each app by `npm run bench -- --count-requests` (`node -r`): counts the round trips the app makes —
 * PostgreSQL statements (by their first words) and Kafka requests (by API) — and writes the running totals to
 * `$FG_BENCH_COUNTS/<pid>.json` every 500 ms, for the bench to difference over each steady rate. A diagnostic only:
 * at a trickle every batch holds one event, and round trips were most of the cost (decision 0021).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.FG_BENCH_COUNTS;
if (dir) {
  const counts: Record<string, number> = {};
  const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  /* eslint-disable @typescript-eslint/no-require-imports */
  const Connection = require('kafkajs/src/network/connection') as {
    prototype: { send(a: { request: { apiName: string } }): Promise<unknown> };
  };
  const pg = require('pg') as {
    Client: { prototype: { query(...a: unknown[]): unknown } };
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const send = Connection.prototype.send;
  Connection.prototype.send = function (this: unknown, a) {
    count(`kafka ${a.request.apiName}`);
    return send.call(this, a);
  };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: unknown, ...a: unknown[]) {
    const text = typeof a[0] === 'string' ? a[0] : ((a[0] as { text?: string } | undefined)?.text ?? '');
    count(`pg ${text.replace(/\s+/g, ' ').trim().slice(0, 60)}`);
    return query.apply(this, a);
  };
  const app = /dist\/apps\/([^/]+)\//.exec(process.argv.join(' '))?.[1] ?? 'all-apps';
  setInterval(
    () => writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify({ app, counts })),
    500,
  ).unref();
}
