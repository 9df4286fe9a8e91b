import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SandboxMessageEntity } from '../entities/sandbox-message.entity';

/** The only SQL for `sandbox_messages`. */
@Injectable()
export class SandboxMessageRepository {
  constructor(private readonly ds: DataSource) {}

  latest(limit: number): Promise<SandboxMessageEntity[]> {
    return this.ds.getRepository(SandboxMessageEntity).find({ order: { createdAt: 'DESC' }, take: limit });
  }
}
