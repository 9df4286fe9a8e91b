// First: tracing (when configured) must wrap http, pg and kafkajs before they load.
import '../../../libs/telemetry/src/register';
import { runApp } from '@fg/platform';
import { LinkIssuerModule } from './link-issuer.module';

void runApp({ app: 'link-issuer', features: [LinkIssuerModule] });
