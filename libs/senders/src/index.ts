export * from './messages';
export * from './compose';
export * from './rate-limiter';
export * from './channel-sender.service';
export * from './sender.module';
export * from './providers/sandbox.provider';
export * from './providers/sendgrid.provider';
export * from './providers/twilio.provider';
