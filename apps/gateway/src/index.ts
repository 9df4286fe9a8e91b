export { GatewayModule } from './gateway.module';
export { ApiKeyService } from './auth/api-key.service';
export { PERMISSIONS } from './auth/permissions';
export type { Permission } from './auth/permissions';
