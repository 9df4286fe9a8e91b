export * from './bound-data';
export * from './distribution-lifecycle';
export * from './external-ref';
export * from './link-issuer.service';
export * from './link-token';
export * from './links.module';
export * from './unsubscribe-links';
