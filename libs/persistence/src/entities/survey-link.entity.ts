import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { ResponseStatus, Scalar } from '@fg/contracts';
import type { SubmissionLimit } from './distribution.entity';

/**
 * One personalized link. The token itself is never stored: only its SHA-256 (for lookup) and a random nonce
 * from which the token is re-derived with the server's LINK_SIGNING_SECRET when the same link is asked for again.
 */
@Entity('survey_links')
export class SurveyLinkEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'distribution_id' }) distributionId: string;
  @Column('text', { name: 'case_id', nullable: true }) caseId: string | null;
  @Column('text', { name: 'token_hash' }) tokenHash: string;
  @Column('bytea', { name: 'token_nonce' }) tokenNonce: Buffer;
  @Column('jsonb', { name: 'transaction_data' }) transactionData: Record<string, Scalar>;
  @Column('text') language: string;
  @Column('timestamptz', { name: 'starts_at', nullable: true }) startsAt: Date | null;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('text', { name: 'response_status', default: 'Not Started' }) responseStatus: ResponseStatus;
  @Column('timestamptz', { name: 'opened_at', nullable: true }) openedAt: Date | null;
  @Column('uuid', { name: 'contact_id', nullable: true }) contactId: string | null;
  /** Who issued it: a rule (`rule`), the one-call API (`api`), a segment (`bulk`), a test send (`test`). */
  @Column('text', { default: 'rule' }) source: 'rule' | 'api' | 'bulk' | 'test';
  /** The rule whose action issued it (the funnel groups by it). */
  @Column('uuid', { name: 'rule_id', nullable: true }) ruleId: string | null;
  /** A dynamic expiry waiting for the first send (then `expires_at` = send time + this). */
  @Column('int', { name: 'expires_after_seconds', nullable: true }) expiresAfterSeconds: number | null;
  @Column('timestamptz', { name: 'reported_sent_at', nullable: true }) reportedSentAt: Date | null;
  @Column('text', { name: 'reported_sent_channel', nullable: true }) reportedSentChannel: string | null;
  /** Submissions counted against the distribution's limit in the current window. */
  @Column('int', { default: 0 }) submissions: number;
  @Column('timestamptz', { name: 'window_started_at', nullable: true }) windowStartedAt: Date | null;
  /** The limit frozen when the link was issued (null: unlimited). */
  @Column('jsonb', { name: 'submission_limit', nullable: true }) submissionLimit: SubmissionLimit | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
