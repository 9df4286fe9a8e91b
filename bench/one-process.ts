/** Every app in one Node process (the bench's --topology one-process): as test/support/pipeline.ts runs them. */
import { loadConfig } from '@fg/common';
import { ALL_APPS, Pipeline } from '../test/support/pipeline';

async function main() {
  const pipeline = await new Pipeline(loadConfig(process.env, { kafka: true })).start(Object.keys(ALL_APPS));
  // The gateway answers /health (and the API) on PORT, as it does on its own.
  await pipeline.apps.get('gateway')!.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    pipeline.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`one-process failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
