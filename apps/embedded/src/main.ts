// First: tracing (when configured) must wrap http, pg and kafkajs before they load.
import '../../../libs/telemetry/src/register';
import { resolve } from 'node:path';
import { DEMO } from './demo-data';
import { startEmbedded } from './embedded';

async function main() {
  const port = Number(process.env.PORT ?? 3000);
  const dataDir = resolve(process.env.FG_DATA_DIR ?? '.data');
  const e = await startEmbedded({ dataDir, port, host: process.env.HOST });
  const key = e.demoApiKey;
  const u = `http://localhost:${port}`;
  process.stdout.write(`
feedback-gateway is running (embedded mode: PGlite in ${dataDir}, in-process messaging, sandbox providers).

  Console:        ${u}/console   (sign in with the demo API key)
  Demo API key:   ${key}
  Ops API docs:   ${u}/docs      (your browser asks for a password: the demo API key; any user name)
  Demo rule:      "Survey resolved cases" (case.updated, status changed to Resolved → email invitation)
                  distribution ${DEMO.distributionId}

Fire a case event (a case becomes Resolved):

  curl -sS -X POST ${u}/events/cases -H "Authorization: Bearer ${key}" \\
    -H 'Content-Type: application/cloudevents+json' \\
    -d '{"specversion":"1.0","id":"demo-'$RANDOM'","source":"demo-crm","type":"case.updated","data":{"caseId":"CASE-1001","caseNumber":"1001","fields":{"status":"Resolved"},"contact":{"name":"Ada Lovelace","email":"ada@example.com","language":"en"}}}'

See the email the sandbox kept, with its survey link:   curl -sS ${u}/ops/sandbox/messages -H "Authorization: Bearer ${key}"
See the link written to the case's custom field:         curl -sS ${u}/ops/cases/CASE-1001 -H "Authorization: Bearer ${key}"
See the invite and its status:                           curl -sS '${u}/ops/invites?caseId=CASE-1001' -H "Authorization: Bearer ${key}"
Open the survey link (survey_link above) in a browser.   Stop with Ctrl+C; data stays in ${dataDir}.

`);
  const shutdown = () => {
    e.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `feedback-gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
