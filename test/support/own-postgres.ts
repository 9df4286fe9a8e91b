import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../kafka/broker';

/**
 * A PostgreSQL server of the test's own (initdb + pg_ctl in a temp dir, trust auth on loopback), for tests that crash
 * the database: never the machine's shared server. As root (CI), it runs as the `postgres` user.
 */
export class OwnPostgres {
  private dir = '';
  port = 0;

  get url() {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** initdb and pg_ctl: on PATH, else in the server's bin directory (Debian keeps them out of PATH). */
  private static bin(cmd: string): string {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'pipe' });
      return cmd;
    } catch {
      return join(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim(), cmd);
    }
  }

  private run(name: string, args: string[]) {
    const cmd = OwnPostgres.bin(name);
    const asRoot = process.getuid?.() === 0;
    const [bin, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    return execFileSync(bin, argv, { stdio: 'pipe', encoding: 'utf8', cwd: tmpdir() });
  }

  async start(): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'fg-pg-'));
    if (process.getuid?.() === 0) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
      chownSync(this.dir, id('-u'), id('-g'));
    }
    this.port = await freePort();
    this.run('initdb', ['-D', join(this.dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    this.up();
    return this;
  }

  /** Starts the server on its data directory (again, after a crash: it recovers from its WAL). */
  up() {
    this.run('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'log'),
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off`,
      '-w',
      'start',
    ]);
  }

  /** Kills the server without a clean shutdown (`pg_ctl stop -m immediate`): every connection drops. */
  crash() {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', 'stop']);
  }

  stop() {
    if (!this.dir) return;
    try {
      this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', 'stop']);
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.dir = '';
  }
}
