import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { SystemClock } from '@fg/common';
import { ApiKeyRepository, dataSourceOptions, runMigrations } from '@fg/persistence';
import { ApiKeyService, presentKey } from './api-key.service';
import { PERMISSIONS, Permission } from './permissions';

const USAGE = `Usage (DATABASE_URL set; after npm run build):
  npm run keys -- create --name NAME (--all | --permission P [--permission P …]) [--survey ID …] [--expires ISO-8601]
  npm run keys -- list [--include-revoked]
  npm run keys -- rotate ID
  npm run keys -- revoke ID
Permissions: ${PERMISSIONS.join(', ')}. The secret is printed once, by create and rotate.`;

export class UsageError extends Error {}

function flags(args: string[]) {
  const out: Record<string, string[]> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const name = a.slice(2);
    const boolean = ['all', 'include-revoked', 'help'].includes(name);
    const value = boolean ? 'true' : args[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    (out[name] ??= []).push(value);
  }
  return { flags: out, positional };
}

/**
 * The API-key CLI: makes the first key on a fresh production install (and manages keys without the REST API).
 * Returns what it prints; throws UsageError on bad arguments.
 */
export async function runKeysCli(argv: string[], service: ApiKeyService): Promise<string> {
  const [command, ...rest] = argv;
  const { flags: f, positional } = flags(rest);
  switch (command) {
    case 'create': {
      const name = f.name?.[0];
      if (!name) throw new UsageError('create needs --name');
      const permissions = (f.all ? [...PERMISSIONS] : (f.permission ?? [])) as Permission[];
      if (!permissions.length) throw new UsageError('create needs --all or at least one --permission');
      const bad = permissions.filter((p) => !(PERMISSIONS as readonly string[]).includes(p));
      if (bad.length) throw new UsageError(`unknown permission ${bad.join(', ')}`);
      const expires = f.expires?.[0] ? new Date(f.expires[0]) : null;
      if (expires && Number.isNaN(expires.getTime())) throw new UsageError('--expires is not a date');
      const { key, row } = await service.create(name, permissions, f.survey ?? null, {
        expiresAt: expires,
        createdBy: 'cli',
      });
      return `${JSON.stringify(presentKey(row), null, 2)}\nSecret (shown once, store it now): ${key}\n`;
    }
    case 'list':
      return `${JSON.stringify((await service.list(!!f['include-revoked'])).map(presentKey), null, 2)}\n`;
    case 'rotate': {
      if (!positional[0]) throw new UsageError('rotate needs a key id');
      const { key, row } = await service.rotate(positional[0]);
      return `${JSON.stringify(presentKey(row), null, 2)}\nNew secret (shown once; the old one no longer works): ${key}\n`;
    }
    case 'revoke': {
      if (!positional[0]) throw new UsageError('revoke needs a key id');
      return `${JSON.stringify(presentKey(await service.revoke(positional[0])), null, 2)}\n`;
    }
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'no command');
  }
}

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('DATABASE_URL is required\n');
    process.exit(2);
  }
  const ds = new DataSource(dataSourceOptions(url, 1));
  await ds.initialize();
  try {
    await runMigrations(ds);
    process.stdout.write(
      await runKeysCli(process.argv.slice(2), new ApiKeyService(new ApiKeyRepository(ds), new SystemClock())),
    );
  } catch (e) {
    process.stderr.write(`${e instanceof UsageError ? `${e.message}\n\n${USAGE}` : (e as Error).message}\n`);
    process.exitCode = 2;
  } finally {
    await ds.destroy();
  }
}

if (require.main === module) void main();
