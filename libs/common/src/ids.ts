import { createHash, randomUUID } from 'node:crypto';

export const newId = (): string => randomUUID();

export const sha256 = (value: string | Buffer): string => createHash('sha256').update(value).digest('hex');
