import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '../../..');
const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const services = (
  parse(compose, { merge: true }) as {
    services: Record<string, { profiles?: string[]; environment?: unknown }>;
  }
).services;

describe('docker-compose.yml', () => {
  it('runs embedded mode in the sandbox profile, listening on every interface, with no secret to set', () => {
    const sandbox = services.sandbox;
    expect(sandbox.profiles).toEqual(['sandbox']);
    expect(sandbox.environment).toMatchObject({ APP: 'embedded', HOST: '0.0.0.0' });
    expect(JSON.stringify(sandbox)).not.toMatch(/\$\{/);
  });

  it('gives no secret a default, and stops no profile for another profile’s missing variable', () => {
    // `${X:?…}` would fail `--profile sandbox` too (compose interpolates the whole file); `${X:-default}` is a default.
    expect(compose).not.toMatch(/\$\{[A-Z_]+:\?/);
    for (const m of compose.matchAll(/\$\{([A-Z_]+):-([^}]*)\}/g))
      if (/SECRET|KEY|TOKEN|PASSWORD|SID/.test(m[1])) expect([m[1], m[2]]).toEqual([m[1], '']);
    for (const [name, s] of Object.entries(services))
      expect([name, s.profiles?.length ?? 0]).toEqual([name, 1]);
  });

  it('ships the Grafana dashboard it provisions, charting the funnel counters', () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'grafana/feedback-gateway.json'), 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    expect(exprs).toContain('fg_funnel_total');
    expect(exprs).toContain('fg_invites_not_sent_total');
    expect(compose).toContain('./grafana/feedback-gateway.json');
  });
});
