import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export interface SurveyQuestion {
  id: string;
  type: 'nps' | 'rating' | 'single_choice' | 'free_text';
  /** Label per language code. */
  label: Record<string, string>;
  options?: { value: string; label: Record<string, string> }[];
  required?: boolean;
}

@Entity('surveys')
export class SurveyEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('jsonb', { default: () => `'[]'` }) questions: SurveyQuestion[];
  @Column('text', { array: true, default: () => `'{en}'` }) languages: string[];
  @Column('text', { default: 'active' }) status: 'active' | 'closed';
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
