import { createHash, randomUUID } from 'node:crypto';

export const newId = (): string => randomUUID();

export const sha256 = (value: string | Buffer): string => createHash('sha256').update(value).digest('hex');

/** A UUID-shaped id derived from its inputs: the same inputs always give the same id (for idempotency). */
export function deterministicUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u001f')).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
