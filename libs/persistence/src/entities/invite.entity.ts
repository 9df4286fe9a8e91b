import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Channel, DeliveryStatus, InviteStatus } from '@fg/contracts';

/** One message (invitation, reminder or thank-you) of a distribution to a case, on one channel. */
@Entity('invites')
export class InviteEntity {
  @PrimaryColumn('uuid') id: string;
  /** The rule action that asked for it: a replayed action finds this row instead of making a second one. */
  @Column('uuid', { name: 'action_id' }) actionId: string;
  @Column('uuid', { name: 'link_id' }) linkId: string;
  @Column('uuid', { name: 'distribution_id' }) distributionId: string;
  @Column('text', { name: 'case_id' }) caseId: string;
  @Column('text') channel: Channel;
  @Column('text') kind: 'invitation' | 'reminder' | 'thank_you';
  @Column('text') language: string;
  @Column('text') recipient: string;
  /** The contact's normalised address: quarantine rules count and lock per contact across surveys. */
  @Column('text', { name: 'contact_key', nullable: true }) contactKey: string | null;
  /** The failed invite this one replaces on the fallback channel (it answers the same rule action). */
  @Column('uuid', { name: 'fallback_of', nullable: true }) fallbackOf: string | null;
  /** false: send from the account of the case's conversation rather than the distribution's. */
  @Column('boolean', { name: 'use_distribution_account', default: true }) useDistributionAccount: boolean;
  @Column('text') status: InviteStatus;
  @Column('text', { name: 'delivery_status' }) deliveryStatus: DeliveryStatus;
  @Column('text', { nullable: true }) reason: string | null;
  @Column('text', { name: 'provider_message_id', nullable: true }) providerMessageId: string | null;
  @Column('timestamptz', { name: 'attempted_at', nullable: true }) attemptedAt: Date | null;
  /** Claims for sending so far; an answer is recorded only for the attempt that got it. */
  @Column('integer', { default: 0 }) attempts: number;
  /** A deferred send (provider unavailable, circuit open, quiet hours): when it is tried again. */
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt: Date | null;
  /** When the send was first deferred: the retry horizon counts from here. */
  @Column('timestamptz', { name: 'deferred_since', nullable: true }) deferredSince: Date | null;
  @Column('timestamptz', { name: 'sent_at', nullable: true }) sentAt: Date | null;
  @Column('timestamptz', { name: 'status_changed_at', nullable: true }) statusChangedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
