import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** An ops API key. Only the SHA-256 of the secret is stored; the secret is shown once, at creation or rotation. */
@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text', { name: 'key_hash' }) keyHash: string;
  /** The first characters of the secret (`fgk_AbCd…`), to tell keys apart in lists; not enough to use it. */
  @Column('text', { name: 'key_prefix' }) keyPrefix: string;
  @Column('text', { array: true }) permissions: string[];
  /** The surveys this key may see and change; null = every survey. */
  @Column('uuid', { name: 'survey_ids', array: true, nullable: true }) surveyIds: string[] | null;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt: Date | null;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
  @Column('text', { name: 'created_by', nullable: true }) createdBy: string | null;
  @Column('timestamptz', { name: 'rotated_at', nullable: true }) rotatedAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
