import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Scalar } from '@fg/contracts';

/** Answers by question id. */
export type Answers = Record<string, string | number>;

/** One respondent's answers to a link: at most one open per link; a submit closes it (`Completed`). */
@Entity('responses')
export class ResponseEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'link_id' }) linkId: string;
  @Column('uuid', { name: 'distribution_id' }) distributionId: string;
  @Column('text', { name: 'case_id', nullable: true }) caseId: string | null;
  @Column('text') status: 'In Progress' | 'Partially Completed' | 'Completed';
  @Column('jsonb', { default: {} }) answers: Answers;
  @Column('jsonb', { default: {} }) tags: Record<string, string>;
  @Column('text') language: string;
  /** hosted: our page; external: reported by a survey tool; test: a test send's link (left out of counts). */
  @Column('text', { default: 'hosted' }) source: 'hosted' | 'external' | 'test';
  /** The data bound to the link when the response started. */
  @Column('jsonb', { name: 'transaction_data', default: {} }) transactionData: Record<string, Scalar>;
  @Column('timestamptz', { name: 'started_at' }) startedAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  @Column('timestamptz', { name: 'submitted_at', nullable: true }) submittedAt: Date | null;
}
