import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { SurveyState } from './condition-evaluator';

interface InviteRow {
  case_id: string;
  distribution_id: string;
  channel: SurveyState['invites'][number]['channel'];
  kind: SurveyState['invites'][number]['kind'];
  status: SurveyState['invites'][number]['status'];
  sent_at: Date | null;
  created_at: Date;
}

interface LinkRow {
  case_id: string;
  distribution_id: string;
  response_status: SurveyState['responses'][number]['status'];
}

/** The survey side of each case (its invites and its links' response statuses), read for survey conditions. */
@Injectable()
export class SurveyStateRepository {
  async load(em: EntityManager, caseIds: string[]): Promise<Map<string, SurveyState>> {
    const out = new Map<string, SurveyState>(caseIds.map((id) => [id, { invites: [], responses: [] }]));
    if (!caseIds.length) return out;
    const invites: InviteRow[] = await em.query(
      `SELECT case_id, distribution_id, channel, kind, status, sent_at, created_at FROM invites
       WHERE case_id = ANY($1::text[]) ORDER BY created_at`,
      [caseIds],
    );
    const links: LinkRow[] = await em.query(
      `SELECT case_id, distribution_id, response_status FROM survey_links WHERE case_id = ANY($1::text[])`,
      [caseIds],
    );
    for (const i of invites)
      out.get(i.case_id)!.invites.push({
        distributionId: i.distribution_id,
        channel: i.channel,
        kind: i.kind,
        status: i.status,
        sentAt: i.sent_at,
        createdAt: i.created_at,
      });
    for (const l of links)
      out.get(l.case_id)!.responses.push({ distributionId: l.distribution_id, status: l.response_status });
    return out;
  }
}
