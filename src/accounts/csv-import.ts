// CSV import at register scale, shared by the member and business-user imports. The file is streamed
// through csv-parse (`;` or `,` as the header line shows, a BOM ignored), validated line by line, and
// written in batches: one query finds the batch's existing accounts, new ones are inserted together,
// changed ones updated, unchanged ones left alone, each batch in its own transaction. One bad line is
// named (by its line number) and skipped; the report counts added, updated, unchanged and rejected.
// A dry run does the same work and rolls every batch back.
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { Knex } from 'knex';
import { InputError } from '../errors.ts';
import type { Db } from '../storage/db.ts';

export type ImportChange = { line: number; key: string; action: 'add' | 'update'; fields: string[] };

export type ImportReport = {
  added: number;
  updated: number;
  unchanged: number;
  rejected: { line: number; reason: string }[];
  dryRun: boolean;
  /** What was (or, in a dry run, would be) changed, line by line, up to MAX_CHANGES. */
  changes: ImportChange[];
  changesOmitted: number;
};

/** An import's counts, as the audit log records them. */
export const importCounts = (report: ImportReport) => ({ added: report.added, updated: report.updated, unchanged: report.unchanged, rejected: report.rejected.length });

export type ImportOptions = {
  dryRun?: boolean;
  batchSize?: number;
  /** Called after each batch with the lines and bytes read so far (a progress bar). */
  onProgress?: (progress: { lines: number; bytes: number }) => void;
  now?: number;
  /** Told the keys (member_number, email) of every accepted line, batch by batch. */
  onKeys?: (keys: string[]) => void;
};

/** How one kind of account is imported: its columns, validation, natural key and stored fields. */
export type ImportSpec<F extends Record<string, unknown>> = {
  columns: { required: string[]; optional: string[] };
  /** The stored fields of one line; throws InputError naming every problem. */
  validate(record: Record<string, string>): F;
  /** The column that identifies an existing account (member_number, email). */
  keyColumn: keyof F & string;
  /**
   * Narrows a query on `accounts` to this kind's accounts with these keys. (Members: by member_number
   * alone, which is unique; with `kind` too SQLite's planner picks the wrong index for a long IN list.)
   */
  existing(query: Knex.QueryBuilder, keys: string[]): Knex.QueryBuilder;
  /** Columns compared with, and written to, an existing account. */
  updatable: (keyof F & string)[];
  /** Columns a new account gets besides the validated fields (id, status, timestamps). */
  newRow(fields: F, now: number): Record<string, unknown>;
};

const MAX_CHANGES = 1000;

/** `;` or `,`, whichever the header line uses (Norwegian spreadsheets export `;`). */
export function detectDelimiter(headerLine: string): ';' | ',' {
  const count = (c: string) => headerLine.split(c).length - 1;
  return count(';') > count(',') ? ';' : ',';
}

/** Reads the source up to its first line break (the header), and returns it with a stream of the whole. */
async function peekHeader(source: Readable): Promise<{ header: string; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let text = '';
  for (;;) {
    const { value, done } = await iterator.next();
    if (done) break;
    const chunk = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
    seen.push(chunk);
    text += chunk.toString('utf8');
    if (/[\r\n]/.test(text) || text.length > 65536) break;
  }
  const rest = async function* () {
    yield* seen;
    for (;;) {
      const { value, done } = await iterator.next();
      if (done) return;
      yield value;
    }
  };
  return { header: text.replace(/^\uFEFF/, '').split(/\r?\n|\r/)[0] ?? '', stream: Readable.from(rest()) };
}

type Line = { line: number; fields: string[] };

/** Data lines of a CSV source, with the line each record starts on. */
async function* csvLines(stream: Readable, delimiter: string, counter: { bytes: number }): AsyncGenerator<Line> {
  const parser = parse({ bom: true, delimiter, relax_column_count: true, skip_empty_lines: true, info: true, record_delimiter: ['\r\n', '\n'] });
  stream.on('data', (chunk: Buffer | string) => (counter.bytes += Buffer.byteLength(chunk)));
  stream.on('error', (error) => parser.destroy(error));
  stream.pipe(parser);
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    // info.lines is where the record ends; quoted line breaks inside it move its start up.
    const breaks = record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0);
    if (record.every((field) => field.trim() === '')) continue;
    yield { line: info.lines - breaks, fields: record };
  }
}

type Valid<F> = { line: number; fields: F };

async function applyBatch<F extends Record<string, unknown>>(
  db: Db,
  spec: ImportSpec<F>,
  batch: Valid<F>[],
  report: ImportReport,
  now: number,
  dryRun: boolean,
): Promise<void> {
  const note = (change: ImportChange) => {
    if (report.changes.length < MAX_CHANGES) report.changes.push(change);
    else report.changesOmitted++;
  };
  const counts = { added: 0, updated: 0, unchanged: 0 };
  const changes: ImportChange[] = [];
  const rollback = new Error('dry run');
  try {
    await db.transaction(async (trx: Knex.Transaction) => {
      const keys = [...new Set(batch.map((v) => String(v.fields[spec.keyColumn])))];
      const rows = await spec.existing(trx('accounts'), keys).select('id', spec.keyColumn, ...spec.updatable);
      const existing = new Map<string, { id: string } & Record<string, unknown>>(rows.map((row: { id: string } & Record<string, unknown>) => [String(row[spec.keyColumn]), row]));
      // New accounts in this batch, by key: a key twice in the file updates the first line's row.
      const inserts = new Map<string, Record<string, unknown>>();
      for (const { line, fields } of batch) {
        const key = String(fields[spec.keyColumn]);
        const pending = inserts.get(key);
        if (pending) {
          const changed = spec.updatable.filter((column) => pending[column] !== fields[column]);
          for (const column of spec.updatable) pending[column] = fields[column];
          counts[changed.length ? 'updated' : 'unchanged']++;
          if (changed.length) changes.push({ line, key, action: 'update', fields: changed });
          continue;
        }
        const row = existing.get(key);
        if (!row) {
          inserts.set(key, { ...spec.newRow(fields, now), ...fields });
          counts.added++;
          changes.push({ line, key, action: 'add', fields: [] });
          continue;
        }
        const changed = spec.updatable.filter((column) => (row[column] ?? null) !== (fields[column] ?? null));
        if (!changed.length) {
          counts.unchanged++;
          continue;
        }
        const update = Object.fromEntries(changed.map((column) => [column, fields[column]]));
        await trx('accounts').where({ id: row.id }).update({ ...update, updated_at: now });
        Object.assign(row, update);
        counts.updated++;
        changes.push({ line, key, action: 'update', fields: changed });
      }
      // Chunked so no statement exceeds the database's limit on bound values.
      if (inserts.size) await trx.batchInsert('accounts', [...inserts.values()], 100);
      if (dryRun) throw rollback;
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
  report.added += counts.added;
  report.updated += counts.updated;
  report.unchanged += counts.unchanged;
  changes.forEach(note);
}

/**
 * Imports every valid line of `source` (a file stream or the text). `required` columns must be in
 * the header (else nothing is imported); other known columns are optional.
 */
export async function importCsv<F extends Record<string, unknown>>(db: Db, source: Readable | string, spec: ImportSpec<F>, options: ImportOptions = {}): Promise<ImportReport> {
  const batchSize = options.batchSize ?? 500;
  const now = options.now ?? Date.now();
  const dryRun = options.dryRun ?? false;
  const { header, stream } = await peekHeader(typeof source === 'string' ? Readable.from([Buffer.from(source)]) : source);
  if (!header.trim()) throw new InputError('the file is empty');
  const counter = { bytes: 0 };
  const lines = csvLines(stream, detectDelimiter(header), counter);

  const first = await lines.next();
  if (first.done) throw new InputError('the file is empty');
  const names = first.value.fields.map((name) => name.trim().toLowerCase());
  const missing = spec.columns.required.filter((name) => !names.includes(name));
  if (missing.length) throw new InputError(`the header lacks ${missing.join(', ')}`);
  const unknown = names.filter((name) => !spec.columns.required.includes(name) && !spec.columns.optional.includes(name));
  if (unknown.length) throw new InputError(`unknown columns in the header: ${unknown.join(', ')}`);

  const report: ImportReport = { added: 0, updated: 0, unchanged: 0, rejected: [], dryRun, changes: [], changesOmitted: 0 };
  let batch: Valid<F>[] = [];
  let lastLine = first.value.line;
  const flush = async () => {
    if (batch.length) await applyBatch(db, spec, batch, report, now, dryRun);
    options.onKeys?.(batch.map((valid) => String(valid.fields[spec.keyColumn])));
    batch = [];
    options.onProgress?.({ lines: lastLine, bytes: counter.bytes });
  };
  for await (const row of lines) {
    lastLine = row.line;
    if (row.fields.length !== names.length) {
      report.rejected.push({ line: row.line, reason: `expected ${names.length} fields, found ${row.fields.length}` });
      continue;
    }
    try {
      batch.push({ line: row.line, fields: spec.validate(Object.fromEntries(names.map((name, i) => [name, row.fields[i]!]))) });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      report.rejected.push({ line: row.line, reason: error.message });
    }
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return report;
}

/** A progress bar on a terminal: `write` is the terminal's stream write; nothing is drawn elsewhere. */
export function progressBar(stream: { isTTY?: boolean; columns?: number; write(text: string): unknown }, totalBytes: number) {
  if (!stream.isTTY || !totalBytes) return { update: () => {}, done: () => {} };
  const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 40));
  return {
    update({ lines, bytes }: { lines: number; bytes: number }) {
      const share = Math.min(1, bytes / totalBytes);
      const filled = Math.round(share * width);
      stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}%  line ${lines}`);
    },
    done: () => stream.write('\n'),
  };
}
