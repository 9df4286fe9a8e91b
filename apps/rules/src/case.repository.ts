import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Contact, Scalar } from '@fg/contracts';
import { OutboxService } from '@fg/messaging';

export interface CaseSnapshot {
  id: string;
  caseNumber: string | null;
  fields: Record<string, Scalar>;
  customFields: Record<string, Scalar>;
  contact: Contact | null;
  sourceVersion: string | null;
}

interface CaseRow {
  id: string;
  case_number: string | null;
  fields: Record<string, Scalar>;
  custom_fields: Record<string, Scalar>;
  contact: Contact | null;
  source_version: string | null;
}

@Injectable()
export class CaseRepository {
  constructor(private readonly outbox: OutboxService) {}

  /** The snapshots of these cases, locked (in id order, so concurrent batches can't deadlock) until commit. */
  async lockMany(em: EntityManager, ids: string[]): Promise<Map<string, CaseSnapshot>> {
    const rows: CaseRow[] = await em.query(
      `SELECT id, case_number, fields, custom_fields, contact, source_version FROM cases
       WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    return new Map(
      rows.map((r) => [
        r.id,
        {
          id: r.id,
          caseNumber: r.case_number,
          fields: r.fields,
          customFields: r.custom_fields,
          contact: r.contact,
          sourceVersion: r.source_version,
        },
      ]),
    );
  }

  /** Writes snapshots in one statement. Custom fields merge, so a concurrent link write is never lost. */
  async upsertMany(em: EntityManager, cases: CaseSnapshot[]): Promise<void> {
    if (!cases.length) return;
    await em.query(
      `INSERT INTO cases (id, case_number, fields, custom_fields, contact, source_version, updated_at)
       SELECT x.id, x.case_number, x.fields, x.custom_fields, x.contact, x.source_version, now()
       FROM jsonb_to_recordset($1::jsonb)
         AS x(id text, case_number text, fields jsonb, custom_fields jsonb, contact jsonb, source_version bigint)
       ON CONFLICT (id) DO UPDATE SET
         case_number = excluded.case_number, fields = excluded.fields,
         custom_fields = cases.custom_fields || excluded.custom_fields,
         contact = excluded.contact, source_version = excluded.source_version, updated_at = now()`,
      [
        JSON.stringify(
          cases.map((c) => ({
            id: c.id,
            case_number: c.caseNumber,
            fields: c.fields,
            custom_fields: c.customFields,
            contact: c.contact,
            source_version: c.sourceVersion,
          })),
        ),
      ],
    );
  }

  /**
   * A rule action sets a case field (`status`, `custom.x`): our snapshot changes now, the CRM is told on
   * `case.field-updates`, and a `case.updated` event (one rule hop deeper) lets other rules react to it.
   * Returns false when the field already had the value (nothing is published, so no loop starts).
   */
  async applyFieldChange(
    em: EntityManager,
    c: { caseId: string; ref: string; value: Scalar; depth: number; correlationId: string },
  ): Promise<boolean> {
    const custom = c.ref.startsWith('custom.');
    const name = custom ? c.ref.slice(7) : c.ref;
    const column = custom ? 'custom_fields' : 'fields';
    const [row]: { before: Scalar }[] = await em.query(
      `SELECT ${column} -> $2 AS before FROM cases WHERE id = $1 FOR UPDATE`,
      [c.caseId, name],
    );
    if (!row) return false;
    const before = row.before ?? null;
    if (before === c.value) return false;
    await em.query(
      `UPDATE cases SET ${column} = ${column} || jsonb_build_object($2::text, $3::jsonb), updated_at = now() WHERE id = $1`,
      [c.caseId, name, JSON.stringify(c.value)],
    );
    this.outbox.add(em, {
      topic: 'caseFieldUpdates',
      key: c.caseId,
      correlationId: c.correlationId,
      data: { caseId: c.caseId, field: c.ref, value: c.value, reason: 'rule_action' },
    });
    this.outbox.add(em, {
      topic: 'caseEvents',
      type: 'case.updated',
      key: c.caseId,
      correlationId: c.correlationId,
      ruleDepth: c.depth,
      data: {
        caseId: c.caseId,
        fields: custom ? {} : { [name]: c.value },
        customFields: custom ? { [name]: c.value } : {},
        previous: { [c.ref]: before },
      },
    });
    return true;
  }
}
