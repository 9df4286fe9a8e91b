import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import type { Contact, Scalar } from '@fg/contracts';
import { CaseEntity } from '../entities/case.entity';
import type { RowOf } from '../row';

/** Our snapshot of a case in the source CRM, as the rule engine works with it. */
export interface CaseSnapshot {
  id: string;
  caseNumber: string | null;
  fields: Record<string, Scalar>;
  customFields: Record<string, Scalar>;
  contact: Contact | null;
  sourceVersion: string | null;
}

type CaseRow = Pick<
  RowOf<CaseEntity>,
  'id' | 'case_number' | 'fields' | 'custom_fields' | 'contact' | 'source_version'
>;

/** The only SQL for `cases`. */
@Injectable()
export class CaseRepository {
  constructor(private readonly ds: DataSource) {}

  findById(id: string, em: EntityManager = this.ds.manager): Promise<CaseEntity | null> {
    return em.getRepository(CaseEntity).findOneBy({ id });
  }

  /** The snapshots of these cases, locked (in id order, so concurrent batches can't deadlock) until commit. */
  findMany(ids: string[], em: EntityManager = this.ds.manager): Promise<CaseEntity[]> {
    if (!ids.length) return Promise.resolve([]);
    return em.getRepository(CaseEntity).findBy({ id: In(ids) });
  }

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

  /** One field (`fields` or `custom_fields`) of a case, its row locked; undefined when the case is unknown. */
  async fieldForUpdate(
    em: EntityManager,
    caseId: string,
    column: 'fields' | 'custom_fields',
    name: string,
  ): Promise<Scalar | undefined> {
    const [row]: { before: Scalar }[] = await em.query(
      `SELECT ${column} -> $2 AS before FROM cases WHERE id = $1 FOR UPDATE`,
      [caseId, name],
    );
    return row ? (row.before ?? null) : undefined;
  }

  async setField(
    em: EntityManager,
    caseId: string,
    column: 'fields' | 'custom_fields',
    name: string,
    value: Scalar,
  ): Promise<void> {
    await em.query(
      `UPDATE cases SET ${column} = ${column} || jsonb_build_object($2::text, $3::jsonb), updated_at = now() WHERE id = $1`,
      [caseId, name, JSON.stringify(value)],
    );
  }

  // `= ANY(ids)` beside the join: the planner then knows how many rows the batch touches and uses the primary key;
  // from the JSON record set alone it assumes 100 rows and hashes the whole table (batch-plans.medium-spec.ts).
  /** Merges custom fields into cases in one statement (links written to their case fields). */
  async patchCustomFields(em: EntityManager, patches: { id: string; patch: Record<string, string> }[]) {
    if (!patches.length) return;
    await em.query(
      `UPDATE cases c SET custom_fields = c.custom_fields || x.patch, updated_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, patch jsonb) WHERE c.id = x.id AND c.id = ANY($2::text[])`,
      [JSON.stringify(patches), patches.map((p) => p.id)],
    );
  }
}
