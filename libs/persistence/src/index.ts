export * from './entities';
export { MIGRATIONS } from './migrations';
export { dataSourceOptions, runMigrations } from './data-source';
export * from './persistence.module';
export * from './transaction';
export * from './repositories';
export * from './row';
export * from './reference-cache';
