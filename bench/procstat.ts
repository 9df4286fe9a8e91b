import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const TICK_MS = 10;

/** CPU time (user + system, ms) a process has used so far, or undefined when it is gone. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the fields after its closing parenthesis are fixed.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** Resident set size in MB, or undefined when the process is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Follows the CPU time of groups of processes ("components": each app, the broker's JVM, the PostgreSQL backends
 * of the bench's database). Sampled every 200 ms so processes that come and go (a new pool connection) are
 * counted: a process first seen after the sampler started counts from zero, one that ended keeps its last sample.
 */
export class CpuSampler {
  private readonly last = new Map<number, { component: string; cpu: number }>();
  private readonly total = new Map<string, number>();
  private readonly rssMax = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(private readonly components: () => Promise<Record<string, number[]>>) {}

  async start(): Promise<void> {
    await this.sample(true);
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      void this.sample(false)
        .catch(() => undefined)
        .finally(() => (this.busy = false));
    }, 200);
  }

  stop() {
    clearInterval(this.timer);
  }

  private async sample(first: boolean) {
    const groups = await this.components();
    for (const [component, pids] of Object.entries(groups)) {
      for (const pid of pids) {
        const cpu = cpuMs(pid);
        if (cpu === undefined) continue;
        const prev = this.last.get(pid);
        const base = prev ? prev.cpu : first ? cpu : 0;
        this.total.set(component, (this.total.get(component) ?? 0) + (cpu - base));
        this.last.set(pid, { component, cpu });
        const rss = rssMb(pid);
        if (rss !== undefined && !component.startsWith('postgres'))
          this.rssMax.set(component, Math.max(this.rssMax.get(component) ?? 0, rss));
      }
    }
  }

  /** CPU ms per component since start (takes a final sample first). */
  async snapshot(): Promise<Record<string, number>> {
    while (this.busy) await new Promise((r) => setTimeout(r, 10));
    this.busy = true;
    try {
      await this.sample(false);
    } finally {
      this.busy = false;
    }
    return Object.fromEntries(this.total);
  }

  /** Highest RSS (MB) seen per component since the last reset. */
  rss(): Record<string, number> {
    return Object.fromEntries([...this.rssMax].map(([k, v]) => [k, Math.round(v)]));
  }

  resetRss() {
    this.rssMax.clear();
  }
}

/** `after - before` per component, in ms. */
export function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));
}
