import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Unknown-link misses of one client (an IPv4 address or an IPv6 /64) in its current one-minute window. */
@Entity('link_guess_counters')
export class LinkGuessCounterEntity {
  @PrimaryColumn('text', { name: 'client_key' }) clientKey: string;
  @Column('int') misses: number;
  @Column('timestamptz', { name: 'window_started_at' }) windowStartedAt: Date;
  @Column('timestamptz', { name: 'last_seen_at' }) lastSeenAt: Date;
}
