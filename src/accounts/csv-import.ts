// CSV import shared by member and business-user imports: one bad line is named and skipped, the good
// lines are saved, and the report counts added, updated and rejected.
import { InputError } from '../errors.ts';

export type ImportReport = { added: number; updated: number; rejected: { line: number; reason: string }[] };

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  const input = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      fields.push(field);
      if (fields.some((f) => f !== '')) records.push({ line: recordLine, fields });
      fields = [];
      field = '';
      line++;
      recordLine = line;
    } else {
      field += c;
    }
  }
  fields.push(field);
  if (fields.some((f) => f !== '')) records.push({ line: recordLine, fields });
  return records;
}

/**
 * Runs `save` for every data line, as an object keyed by the header. `required` columns must be in
 * the header (else nothing is imported); other known columns are optional.
 */
export async function importCsv(
  text: string,
  columns: { required: string[]; optional: string[] },
  save: (record: Record<string, string>) => Promise<'added' | 'updated'>,
): Promise<ImportReport> {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new InputError('the file is empty');
  const names = header.fields.map((name) => name.trim().toLowerCase());
  const missing = columns.required.filter((name) => !names.includes(name));
  if (missing.length) throw new InputError(`the header lacks ${missing.join(', ')}`);
  const unknown = names.filter((name) => !columns.required.includes(name) && !columns.optional.includes(name));
  if (unknown.length) throw new InputError(`unknown columns in the header: ${unknown.join(', ')}`);

  const report: ImportReport = { added: 0, updated: 0, rejected: [] };
  for (const row of rows) {
    if (row.fields.length !== names.length) {
      report.rejected.push({ line: row.line, reason: `expected ${names.length} fields, found ${row.fields.length}` });
      continue;
    }
    const record = Object.fromEntries(names.map((name, i) => [name, row.fields[i]!]));
    try {
      report[await save(record)]++;
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      report.rejected.push({ line: row.line, reason: error.message });
    }
  }
  return report;
}
