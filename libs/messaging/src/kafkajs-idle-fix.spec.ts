import { kafkajsIdleLoopPresent } from './kafkajs-idle-fix';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as new (o: object) => Queue;

interface Queue {
  pending: { send(): void; expectResponse: boolean; correlationId: number }[];
  throttledUntil: number;
  checkPendingRequests(): void;
  destroy(): void;
}

const logger = {
  debug: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  info: () => undefined,
};
const queue = () =>
  new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 30_000, clientId: 't', broker: 'b', logger });

/** How often the queue checks its pending requests in `ms` of wall time. */
async function checksIn(q: Queue, ms: number): Promise<number> {
  let n = 0;
  const check = q.checkPendingRequests.bind(q);
  q.checkPendingRequests = () => {
    n++;
    check();
  };
  q.checkPendingRequests(); // what a response does
  await new Promise((r) => setTimeout(r, ms));
  return n;
}

describe('kafkajs request queue (idle loop fixed)', () => {
  it('applies to the kafkajs installed here', () => {
    expect(kafkajsIdleLoopPresent).toBe(true);
  });

  it('a connection with nothing to send does not wake up again (was: every millisecond)', async () => {
    const q = queue();
    expect(await checksIn(q, 200)).toBe(1);
    q.destroy();
  });

  it('a request held back while the broker throttles is sent when the throttle ends', async () => {
    const q = queue();
    const sent: number[] = [];
    q.throttledUntil = Date.now() + 50;
    q.pending.push({ send: () => sent.push(Date.now()), expectResponse: true, correlationId: 1 });
    const t0 = Date.now();
    q.checkPendingRequests();
    await new Promise((r) => setTimeout(r, 150));
    expect(sent).toHaveLength(1);
    expect(sent[0] - t0).toBeGreaterThanOrEqual(45);
    q.destroy();
  });
});
