import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { freePort } from './kafka/broker';
import { eventually } from './support/eventually';

const ROOT = resolve(__dirname, '..');

/** Each app as its own process, configured only by the environment. */
describe('production mode', () => {
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

  function run(app: string, env: Record<string, string>) {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', `apps/${app}/src/main.ts`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return { child, out, exited };
  }

  it('refuses to start without its secrets, naming each missing variable', async () => {
    const p = run('sender-email', {
      DATABASE_URL: process.env.DATABASE_URL!,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      PUBLIC_BASE_URL: 'https://s.example.com',
    });
    expect(await p.exited).toBe(78);
    expect(p.out.stderr).toContain('LINK_SIGNING_SECRET: Required');
    const q = run('sender-email', {
      DATABASE_URL: process.env.DATABASE_URL!,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      PUBLIC_BASE_URL: 'https://s.example.com',
      LINK_SIGNING_SECRET: randomBytes(32).toString('hex'),
    });
    expect(await q.exited).toBe(78);
    expect(q.out.stderr).toContain('SENDGRID_API_KEY: required when CHANNEL_PROVIDERS=live');
  });

  it('starts the gateway on Kafka and Postgres, serves health, logs JSON quietly with an access log, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const secret = randomBytes(32).toString('hex');
    const p = run('gateway', {
      DATABASE_URL: process.env.DATABASE_URL!,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      KAFKA_TOPIC_PREFIX: `p${randomBytes(3).toString('hex')}.`,
      PUBLIC_BASE_URL: 'https://s.example.com',
      LINK_SIGNING_SECRET: secret,
      SENDGRID_WEBHOOK_PUBLIC_KEY: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      PORT: String(port),
    });
    const health = await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      expect(res.status).toBe(200);
      return res.json();
    }, 60_000);
    expect(health).toMatchObject({ status: 'ok', details: { database: { status: 'up' } } });
    // Quiet start-up: no line per module or route, only what an operator needs.
    const startup = p.out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { context?: string });
    const framework = ['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory'];
    expect(startup.filter((l) => framework.includes(l.context ?? ''))).toEqual([]);
    expect(startup.map((l) => l.context)).toContain('Messaging');
    expect(p.out.stdout).not.toContain('Mapped {');

    // One access-log line per request: route (never the token), status, duration, correlation id.
    const token = 'AbCdEfGhIjKlMnOpQrStUv';
    const res = await fetch(`http://127.0.0.1:${port}/s/${token}?utm=x`, {
      headers: { 'X-Correlation-Id': 'ticket-4711' },
    });
    expect(res.headers.get('x-correlation-id')).toBe('ticket-4711');
    const access = await eventually(async () => {
      const line = p.out.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.correlationId === 'ticket-4711' && l.route);
      expect(line).toBeDefined();
      return line!;
    });
    expect(access).toMatchObject({
      app: 'gateway',
      level: 'info',
      method: 'GET',
      route: '/s/:token',
      status: res.status,
    });
    expect(typeof access.durationMs).toBe('number');
    expect(p.out.stdout).not.toContain(token);
    // Probes are not logged.
    expect(p.out.stdout).not.toContain('/health');

    const lines = p.out.stdout.trim().split('\n');
    const parsed = lines.map((l) => JSON.parse(l) as { app: string; level: string });
    expect(parsed.every((l) => l.app === 'gateway')).toBe(true);
    expect(p.out.stdout).not.toContain(secret);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});
