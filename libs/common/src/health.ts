import { Injectable, OnModuleDestroy } from '@nestjs/common';

/** One readiness check's finding: `down` makes the app unready (503); `degraded` is reported (`degraded: true`) but stays ready. */
export type CheckResult = { status: 'up' | 'down' | 'degraded' } & Record<string, unknown>;

/**
 * The readiness checks of this process: the database is checked by the health controller itself; other modules
 * register theirs (messaging: the broker, consumer lag, outbox lag). Also knows when the app is stopping: from the
 * first step of a graceful stop the app answers unready, so a load balancer stops sending it requests while it
 * drains.
 */
@Injectable()
export class HealthChecks implements OnModuleDestroy {
  private readonly checks = new Map<string, () => Promise<CheckResult>>();
  private stopping = false;

  register(name: string, check: () => Promise<CheckResult>) {
    this.checks.set(name, check);
  }

  entries(): [string, () => Promise<CheckResult>][] {
    return [...this.checks];
  }

  get shuttingDown() {
    return this.stopping;
  }

  onModuleDestroy() {
    this.stopping = true;
  }
}

/** Resolves with `fallback` when `p` takes longer than `ms`: a check that hangs is a check that failed. */
export function within<T>(p: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((resolve) => {
      t = setTimeout(() => resolve(fallback()), ms);
      t.unref();
    }),
  ]);
}
