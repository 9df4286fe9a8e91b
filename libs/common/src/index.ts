export * from './config';
export * from './logger';
export * from './correlation';
export * from './errors';
export * from './clock';
export * from './metrics';
export * from './ids';
export * from './core.module';
