// First: tracing (when configured) must wrap http, pg and kafkajs before they load.
import '../../../libs/telemetry/src/register';
import { runApp } from '@fg/platform';
import { RulesModule } from './rules.module';

void runApp({ app: 'rules', features: [RulesModule] });
