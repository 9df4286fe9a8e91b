import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { SandboxMessageEntity } from '../entities/sandbox-message.entity';

/** A kept message as the ops API lists it. */
export type SandboxMessage = Omit<SandboxMessageEntity, 'toAddress' | 'fromAddress'> & {
  to: string;
  from: string | null;
};

/** The only SQL for `sandbox_messages`. */
@Injectable()
export class SandboxMessageRepository {
  constructor(private readonly ds: DataSource) {}

  async insert(m: QueryDeepPartialEntity<SandboxMessageEntity> & Pick<SandboxMessageEntity, 'id'>) {
    await this.ds.getRepository(SandboxMessageEntity).insert(m);
  }

  /** The newest message kept for an invite, if any. */
  async idForInvite(inviteId: string): Promise<string | null> {
    const row = await this.ds
      .getRepository(SandboxMessageEntity)
      .findOne({ select: { id: true }, where: { inviteId }, order: { createdAt: 'DESC' } });
    return row?.id ?? null;
  }

  async latest(limit: number): Promise<SandboxMessage[]> {
    const rows = await this.ds
      .getRepository(SandboxMessageEntity)
      .find({ order: { createdAt: 'DESC' }, take: limit });
    return rows.map(({ toAddress, fromAddress, ...m }) => ({ ...m, to: toAddress, from: fromAddress }));
  }
}
