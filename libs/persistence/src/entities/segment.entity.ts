import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A saved filter over contact attributes, for bulk links. */
@Entity('segments')
export class SegmentEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('jsonb') filter: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
