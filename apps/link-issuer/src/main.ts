import { runApp } from '@fg/platform';
import { LinkIssuerModule } from './link-issuer.module';

void runApp({ app: 'link-issuer', features: [LinkIssuerModule] });
