import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ResponseStatus, responseStatus } from '@fg/contracts';
import { returnedRows } from '@fg/persistence';
import { OutboxService } from '@fg/messaging';

const ORDER = responseStatus.options;

/**
 * Response statuses only move forward (Not Started → Survey Opened → In Progress → Partially Completed →
 * Completed); every change is published on `response.status` for the rules. A report that is not ahead of
 * the current status changes nothing, so duplicated or late reports are harmless.
 */
@Injectable()
export class ResponseStatusService {
  constructor(private readonly outbox: OutboxService) {}

  /** Returns the previous status if the link moved, null if it did not. */
  async advance(
    em: EntityManager,
    linkId: string,
    to: ResponseStatus,
    at: Date,
  ): Promise<{ previous: ResponseStatus; caseId: string | null } | null> {
    const behind = ORDER.slice(0, ORDER.indexOf(to));
    if (!behind.length) return null;
    const [row] = returnedRows<{
      case_id: string | null;
      distribution_id: string;
      previous: ResponseStatus;
    }>(
      await em.query(
        `UPDATE survey_links l SET response_status = $2,
                opened_at = COALESCE(l.opened_at, $3)
         FROM (SELECT id, response_status AS previous FROM survey_links WHERE id = $1 FOR UPDATE) old
         WHERE l.id = old.id AND l.response_status = ANY($4::text[])
         RETURNING l.case_id, l.distribution_id, old.previous`,
        [linkId, to, at, behind],
      ),
    );
    if (!row) return null;
    this.outbox.add(em, {
      topic: 'responseStatus',
      key: row.case_id ?? linkId,
      data: {
        linkId,
        caseId: row.case_id ?? '',
        distributionId: row.distribution_id,
        status: to,
        previousStatus: row.previous,
        occurredAt: at.toISOString(),
      },
    });
    return { previous: row.previous, caseId: row.case_id };
  }
}
