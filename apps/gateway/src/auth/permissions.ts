import { SetMetadata } from '@nestjs/common';

/** Permission names follow the product's own. */
export const PERMISSIONS = [
  'distribution:view',
  'distribution:edit',
  'rules:configure',
  'case-fields:configure',
  /** Post case events over HTTP (the Kafka topic needs no key: the broker's ACLs govern it). */
  'case-events:publish',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const REQUIRED_PERMISSION = 'fg:required-permission';
export const RequirePermission = (p: Permission) => SetMetadata(REQUIRED_PERMISSION, p);
