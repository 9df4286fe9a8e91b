export * from './create-app';
export * from './run-app';
export * from './domain-error.filter';
export * from './zod.pipe';
export * from './no-nul.pipe';
export * from './api-contract';
