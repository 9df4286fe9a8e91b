export * from './invite-status-machine';
export * from './invite-status.service';
export * from './invites.module';
export * from './template-resolver';
export * from './suppression.service';
export * from './quarantine.service';
