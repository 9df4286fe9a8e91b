export { LinkIssuerModule } from './link-issuer.module';
