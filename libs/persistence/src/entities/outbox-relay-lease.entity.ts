import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Which instance of an app relays its outbox right now (one at a time, so order per key holds). */
@Entity('outbox_relay_lease')
export class OutboxRelayLeaseEntity {
  @PrimaryColumn('text') origin: string;
  @Column('text') holder: string;
  @Column('timestamptz', { name: 'lease_until' }) leaseUntil: Date;
}
