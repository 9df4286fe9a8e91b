import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Channel } from '@fg/contracts';

/** An address we must not send to on a channel (bounce, spam report, STOP, …) until it is lifted. */
@Entity('suppressions')
export class SuppressionEntity {
  @PrimaryColumn('text') channel: Channel;
  /** Normalised: lower-case e-mail, E.164 phone number. */
  @PrimaryColumn('text') address: string;
  @Column('text') reason: string;
  @Column('text') source: string;
  @Column('timestamptz', { name: 'suppressed_at' }) suppressedAt: Date;
  @Column('timestamptz', { name: 'lifted_at', nullable: true }) liftedAt: Date | null;
  @Column('text', { name: 'lifted_by', nullable: true }) liftedBy: string | null;
}
