import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type PeriodUnit = 'days' | 'weeks' | 'months' | 'years';

/** "Limit submissions per respondent": allowed submissions per link, optionally reset every N units. */
export interface SubmissionLimit {
  allowed: number;
  reset: { amount: number; unit: PeriodUnit } | null;
}

/** Our hosted survey, or a survey hosted elsewhere that gets a signed short-lived reference. */
export type Hosting = { mode: 'hosted' } | { mode: 'external'; url: string };

export type ExpiryConfig =
  | { mode: 'none' }
  | { mode: 'static'; at: string }
  | { mode: 'dynamic'; amount: number; unit: 'hours' | 'days' };

/** Sender accounts per channel; `ratePerSecond` caps sends through that account (default per channel). */
export interface ChannelAccounts {
  email?: { fromEmail: string; fromName?: string; ratePerSecond?: number };
  sms?: { from?: string; messagingServiceSid?: string; ratePerSecond?: number };
  whatsapp?: { from: string; ratePerSecond?: number };
}

/**
 * Quiet hours: sends only on these ISO weekdays (1 = Monday … 7 = Sunday), between `start` and `end` (HH:MM, local),
 * in the recipient's time zone (the case contact's `timeZone`), else `timeZone`. A send outside waits (deferred).
 */
/** How the survey pages look for this distribution (all optional). */
export interface Branding {
  /** An https image shown above the survey. */
  logoUrl?: string;
  /** `#rrggbb`: buttons and the chosen answer. */
  accentColor?: string;
  /** Who asks, shown under the logo (e.g. "Acme Support"). */
  senderName?: string;
}

export interface SendWindow {
  days: number[];
  start: string;
  end: string;
  timeZone: string;
}

@Entity('distributions')
export class DistributionEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'survey_id' }) surveyId: string;
  @Column('text') name: string;
  @Column('text', { default: '' }) description: string;
  @Column('text', { default: 'trigger_personalized_link' }) type: 'trigger_personalized_link';
  @Column('text', { default: 'standard' }) format: 'standard' | 'conversational';
  @Column('text', { default: 'draft' }) status: 'draft' | 'active' | 'failed' | 'expired';
  @Column('timestamptz', { name: 'starts_at', nullable: true }) startsAt: Date | null;
  @Column('jsonb', { default: () => `'{"mode":"none"}'` }) expiry: ExpiryConfig;
  @Column('jsonb', { default: () => `'{}'` }) accounts: ChannelAccounts;
  @Column('jsonb', { default: () => `'{}'` }) tags: Record<string, string>;
  /** The next channel to try when a send fails permanently, e.g. { "whatsapp": "sms" }. */
  @Column('jsonb', { default: () => `'{}'` }) fallback: Partial<
    Record<'email' | 'sms' | 'whatsapp', 'email' | 'sms' | 'whatsapp'>
  >;
  @Column('text', { name: 'default_language', default: 'en' }) defaultLanguage: string;
  @Column('jsonb', { name: 'submission_limit', nullable: true }) submissionLimit: SubmissionLimit | null;
  @Column('jsonb', { default: () => `'{"mode":"hosted"}'` }) hosting: Hosting;
  @Column('jsonb', { name: 'send_window', nullable: true }) sendWindow: SendWindow | null;
  @Column('jsonb', { nullable: true }) branding: Branding | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
