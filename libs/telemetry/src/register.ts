/**
 * OpenTelemetry, started before anything else is loaded (each app's main.ts imports this first, so the http, pg and
 * kafkajs instrumentations can wrap those modules). Off unless an OTLP endpoint is configured
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, the standard variables; `OTEL_SDK_DISABLED=true`
 * turns it off again). Service name: `OTEL_SERVICE_NAME`, else `feedback-gateway-<app>`. Decision 0025.
 */
import { basename, dirname } from 'node:path';

const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
if (endpoint && process.env.OTEL_SDK_DISABLED !== 'true') {
  // Loaded only when tracing is on: the SDK costs nothing when off.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { HttpInstrumentation } =
    require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } =
    require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { KafkaJsInstrumentation } =
    require('@opentelemetry/instrumentation-kafkajs') as typeof import('@opentelemetry/instrumentation-kafkajs');
  /* eslint-enable @typescript-eslint/no-require-imports */
  // dist/apps/<app>/src/main.js → <app>
  const app = process.env.APP || basename(dirname(dirname(require.main?.filename ?? 'app/src/main.js')));
  process.env.OTEL_SERVICE_NAME ||= `feedback-gateway-${app}`;
  const quiet = /^\/(health|metrics)(\/|$)/;
  const sdk = new NodeSDK({
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => quiet.test(req.url ?? '') }),
      new PgInstrumentation({ requireParentSpan: true }),
      new KafkaJsInstrumentation(),
    ],
  });
  sdk.start();
  const stop = () => void sdk.shutdown().catch(() => undefined);
  process.once('beforeExit', stop);
}
