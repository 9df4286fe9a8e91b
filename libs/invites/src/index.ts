export * from './invite-status-machine';
export * from './invite-status.service';
export * from './invites.module';
export * from './link-token';
export * from './template.repository';
export * from './channel-unavailable.handler';
export * from './response-status.service';
