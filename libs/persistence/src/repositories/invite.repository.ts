import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import { InviteEntity } from '../entities/invite.entity';

/** The only SQL for `invites`. */
@Injectable()
export class InviteRepository {
  constructor(private readonly ds: DataSource) {}

  /** The distribution of each invite that exists. */
  async distributionsOf(ids: string[], em: EntityManager = this.ds.manager): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await em
      .getRepository(InviteEntity)
      .find({ select: { id: true, distributionId: true }, where: { id: In([...new Set(ids)]) } });
    return new Map(rows.map((r) => [r.id, r.distributionId]));
  }

  /** Newest first; only invites of the given distributions when `distributionIds` is set. */
  list(
    q: { caseId?: string; distributionIds: string[] | null; limit: number },
    em: EntityManager = this.ds.manager,
  ): Promise<InviteEntity[]> {
    return em.getRepository(InviteEntity).find({
      where: {
        ...(q.caseId ? { caseId: q.caseId } : {}),
        ...(q.distributionIds ? { distributionId: In(q.distributionIds) } : {}),
      },
      order: { createdAt: 'DESC' },
      take: q.limit,
    });
  }

  /** Invitations of a distribution we sent (test sends excluded). */
  async countSentInvitations(distributionId: string): Promise<number> {
    const [r]: { n: number }[] = await this.ds.query(
      `SELECT count(*)::int AS n FROM invites i
       WHERE i.distribution_id = $1 AND i.kind = 'invitation' AND i.sent_at IS NOT NULL AND i.case_id NOT LIKE 'test-send:%'`,
      [distributionId],
    );
    return r.n;
  }
}
