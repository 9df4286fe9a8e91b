import { DataSource } from 'typeorm';
import { mediumDataSource } from '../../../../test/support/medium';
import { snakeCase } from '../row';
import { ENTITIES } from './index';

interface DbColumn {
  table_name: string;
  column_name: string;
  is_nullable: 'YES' | 'NO';
  udt_name: string;
}

/** TypeORM's spelling of a column type → Postgres's `udt_name`. */
const UDT: Record<string, string> = {
  uuid: 'uuid',
  text: 'text',
  int: 'int4',
  integer: 'int4',
  bigint: 'int8',
  boolean: 'bool',
  jsonb: 'jsonb',
  timestamptz: 'timestamptz',
  'timestamp with time zone': 'timestamptz',
  bytea: 'bytea',
};

/**
 * The schema comes from the migrations; entities are the row types (decision 0015). This compares the two for
 * every table, so a migration that adds a column the entity lacks, or an entity field with no column, fails
 * here rather than as a silently missing value.
 */
describe('entities and the migrated schema', () => {
  let ds: DataSource;
  let columns: DbColumn[];

  beforeAll(async () => {
    ds = await mediumDataSource(1);
    columns = await ds.query(
      `SELECT table_name, column_name, is_nullable, udt_name FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY table_name, column_name`,
    );
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  it('has exactly one entity for every table', () => {
    const tables = [...new Set(columns.map((c) => c.table_name))].sort();
    const mapped = ENTITIES.map((e) => ds.getMetadata(e).tableName).sort();
    expect(mapped).toEqual(tables);
    expect(tables.length).toBeGreaterThanOrEqual(23);
  });

  it('gives every entity the columns, types and nullability of its table', () => {
    const tables = new Set(ENTITIES.map((e) => ds.getMetadata(e).tableName));
    const actual = columns
      .filter((c) => tables.has(c.table_name))
      .map((c) => `${c.table_name}.${c.column_name} ${c.udt_name}${c.is_nullable === 'YES' ? ' null' : ''}`);
    const declared = ENTITIES.flatMap((entity) => {
      const meta = ds.getMetadata(entity);
      return meta.columns.map((c) => {
        const type = typeof c.type === 'string' ? c.type : String(c.type);
        const udt = (c.isArray ? '_' : '') + (UDT[type] ?? type);
        return `${meta.tableName}.${c.databaseName} ${udt}${c.isNullable ? ' null' : ''}`;
      });
    });
    expect(declared.sort()).toEqual(actual.sort());
  });

  it('spells every column as its property in snake_case, so row types can be derived from entities (RowOf)', () => {
    const off = ENTITIES.flatMap((e) =>
      ds
        .getMetadata(e)
        .columns.filter((c) => c.databaseName !== snakeCase(c.propertyName))
        .map((c) => `${ds.getMetadata(e).tableName}.${c.databaseName} (${c.propertyName})`),
    );
    expect(off).toEqual([]);
  });
});
