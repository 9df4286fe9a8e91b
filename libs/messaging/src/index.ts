export * from './transport';
export * from './kafka.transport';
export * from './in-process.transport';
export * from './options';
export * from './outbox.service';
export * from './outbox-relay';
export * from './consumer-runner';
export * from './messaging.module';
