import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A message a sandbox provider kept instead of sending (embedded mode). */
@Entity('sandbox_messages')
export class SandboxMessageEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') channel: string;
  @Column('uuid', { name: 'invite_id', nullable: true }) inviteId: string | null;
  @Column('text', { name: 'to_address' }) toAddress: string;
  @Column('text', { name: 'from_address', nullable: true }) fromAddress: string | null;
  @Column('text', { nullable: true }) subject: string | null;
  @Column('text', { nullable: true }) text: string | null;
  @Column('text', { nullable: true }) html: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
