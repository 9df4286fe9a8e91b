export * from './response.service';
export * from './responses.module';
export * from './submission-window';
