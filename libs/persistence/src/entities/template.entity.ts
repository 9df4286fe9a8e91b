import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('templates')
export class TemplateEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'distribution_id' }) distributionId: string;
  @Column('text') channel: 'email' | 'sms' | 'whatsapp';
  @Column('text') kind: 'invitation' | 'reminder' | 'thank_you';
  @Column('text') language: string;
  @Column('text', { nullable: true }) subject: string | null;
  @Column('text', { nullable: true }) html: string | null;
  @Column('text', { nullable: true }) text: string | null;
  /** WhatsApp approved template (Twilio Content API `HX…`). */
  @Column('text', { name: 'content_sid', nullable: true }) contentSid: string | null;
  /** The approved template's variables: { "1": "{{customer_first_name}}", "2": "{{survey_link}}" }. */
  @Column('jsonb', { name: 'content_variables', nullable: true }) contentVariables: Record<
    string,
    string
  > | null;
}
