import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The next free send slot of a provider account (ms since the epoch, database clock), shared by every sender. */
@Entity('send_rate_slots')
export class SendRateSlotEntity {
  @PrimaryColumn('text') account: string;
  @Column('float8', { name: 'next_slot_ms' }) nextSlotMs: number;
}
