import { runApp } from '@fg/platform';
import { RulesModule } from './rules.module';

void runApp({ app: 'rules', features: [RulesModule] });
