import { stringify } from 'csv-stringify/sync';

type Cell = string | number | boolean | Date | object | null | undefined;

/**
 * CSV for spreadsheets, one way for every export: RFC 4180 quoting, CRLF, and formula escaping (a cell starting
 * with = + - @, a TAB or a CR, or their full-width forms, gets a leading apostrophe, so Excel and Sheets show it as
 * text instead of running it — OWASP's "CSV injection" advice, as csv-stringify implements it). Objects are JSON.
 * The first chunk of a file starts with a UTF-8 BOM so Excel reads accented names right.
 */
export function csvChunk(rows: Cell[][], o: { first?: boolean } = {}): string {
  return stringify(
    rows.map((r) => r.map(cell)),
    { bom: !!o.first, escape_formulas: true, record_delimiter: 'windows' },
  );
}

function cell(v: Cell): string | number {
  if (typeof v === 'number') return v; // a negative number is a number, not a formula
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** `Content-Disposition` for a CSV download (the name is ours: ids and fixed words only). */
export const csvAttachment = (name: string) => `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`;
