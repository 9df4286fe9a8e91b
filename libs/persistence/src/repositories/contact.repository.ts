import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { newId } from '@fg/common';
import { ContactEntity } from '../entities/contact.entity';
import type { RowOf } from '../row';

export type ContactRow = Omit<RowOf<ContactEntity>, 'created_at'>;

export type NewContact = Omit<ContactRow, 'id'>;

/** Contact columns a segment may filter on; any other name is an attribute (a Map: `__proto__` is just a name). */
const CONTACT_COLUMNS = new Map([
  ['email', 'email'],
  ['phone', 'phone'],
  ['language', 'language'],
  ['first_name', 'first_name'],
  ['last_name', 'last_name'],
  ['custom_id', 'custom_id'],
]);

/** SQL for a segment filter over contacts (all/any of attribute equals/not_equals/in/exists); values are bound. */
function filterSql(f: unknown, params: unknown[]): string {
  const node = f as { all?: unknown[]; any?: unknown[]; attribute?: string; op?: string; value?: unknown };
  if (node.all) return `(${node.all.map((x) => filterSql(x, params)).join(' AND ')})`;
  if (node.any) return `(${node.any.map((x) => filterSql(x, params)).join(' OR ')})`;
  const name = node.attribute!.replace(/^attributes\./, '');
  const known = CONTACT_COLUMNS.get(name);
  const column = known ? `to_jsonb(${known})` : `attributes -> $${params.push(name)}`;
  switch (node.op) {
    case 'exists':
      return `(${column} IS NOT NULL AND ${column} <> 'null'::jsonb)`;
    case 'in':
      return `(${column} IN (SELECT jsonb_array_elements($${params.push(JSON.stringify(node.value))}::jsonb)))`;
    case 'not_equals':
      return `(${column} IS DISTINCT FROM $${params.push(JSON.stringify(node.value))}::jsonb)`;
    default:
      return `(${column} = $${params.push(JSON.stringify(node.value))}::jsonb)`;
  }
}

/** The only SQL for `contacts`. */
@Injectable()
export class ContactRepository {
  constructor(private readonly ds: DataSource) {}

  /** Contacts by your id (updated in place: given values win, attributes merge) or new. */
  upsert(em: EntityManager, input: NewContact[]): Promise<ContactRow[]> {
    const rows = input.map((c) => ({ id: newId(), ...c }));
    return em.query(
      `INSERT INTO contacts (id, custom_id, first_name, last_name, email, phone, language, attributes)
       SELECT x.id, x.custom_id, x.first_name, x.last_name, x.email, x.phone, x.language, x.attributes
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, custom_id text, first_name text, last_name text, email text,
            phone text, language text, attributes jsonb)
       ON CONFLICT (custom_id) DO UPDATE SET first_name = COALESCE(excluded.first_name, contacts.first_name),
         last_name = COALESCE(excluded.last_name, contacts.last_name), email = COALESCE(excluded.email, contacts.email),
         phone = COALESCE(excluded.phone, contacts.phone), language = COALESCE(excluded.language, contacts.language),
         attributes = contacts.attributes || excluded.attributes
       RETURNING id, custom_id, first_name, last_name, email, phone, language, attributes`,
      [JSON.stringify(rows)],
    );
  }

  async countMatching(filter: unknown): Promise<number> {
    const params: unknown[] = [];
    const [{ n }]: { n: number }[] = await this.ds.query(
      `SELECT count(*)::int AS n FROM contacts WHERE ${filterSql(filter, params)}`,
      params,
    );
    return n;
  }

  /** A keyset page of the contacts matching a segment filter, in id order. */
  pageMatching(em: EntityManager, filter: unknown, after: string, limit: number): Promise<ContactRow[]> {
    const params: unknown[] = [];
    const where = filterSql(filter, params);
    return em.query(
      `SELECT id, custom_id, first_name, last_name, email, phone, language, attributes FROM contacts
       WHERE ${where} AND id > $${params.length + 1} ORDER BY id LIMIT $${params.length + 2}`,
      [...params, after, limit],
    );
  }
}
