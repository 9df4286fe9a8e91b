import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The only SQL for `segments`. */
@Injectable()
export class SegmentRepository {
  constructor(private readonly ds: DataSource) {}

  async insert(s: { id: string; name: string; filter: unknown }): Promise<void> {
    await this.ds.query(`INSERT INTO segments (id, name, filter) VALUES ($1, $2, $3::jsonb)`, [
      s.id,
      s.name,
      JSON.stringify(s.filter),
    ]);
  }

  async filterOf(id: string): Promise<unknown> {
    const [row]: { filter: unknown }[] = await this.ds.query(`SELECT filter FROM segments WHERE id = $1`, [
      id,
    ]);
    return row?.filter;
  }
}
