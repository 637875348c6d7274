// Member-specific operations on the account store.
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { audit, type AuditContext } from '../audit/audit.ts';
import type { Db } from '../storage/db.ts';
import { validateMember } from './accounts.ts';
import { importCounts, importCsv, type ImportOptions, type ImportReport, type ImportSpec } from './csv-import.ts';

export const MEMBER_COLUMNS = {
  required: ['member_number', 'given_name', 'family_name', 'email', 'mobile', 'status'],
  optional: ['language', 'password_hash'],
};

type MemberFields = ReturnType<typeof validateMember>;

const memberImport: ImportSpec<MemberFields> = {
  columns: MEMBER_COLUMNS,
  validate: (r) =>
    validateMember({
      memberNumber: r.member_number!,
      givenName: r.given_name!,
      familyName: r.family_name!,
      email: r.email,
      mobile: r.mobile,
      status: r.status,
      language: r.language,
      passwordHash: r.password_hash,
    }),
  keyColumn: 'member_number',
  existing: (query, keys) => query.whereIn('member_number', keys),
  // Credentials are never changed by an import: a legacy hash is taken only for a new member.
  updatable: ['given_name', 'family_name', 'email', 'mobile', 'status', 'language'],
  newRow: (_fields, now) => ({ id: randomUUID(), kind: 'member', created_at: now, updated_at: now }),
};

/**
 * `hk-idp members import`: adds new members, updates changed ones; bad lines are reported by number.
 * `by` (who ran it) puts the import on the audit log; tests and benchmarks leave it out.
 */
export async function importMembers(db: Db, csv: Readable | string, options: ImportOptions & { by?: AuditContext } = {}): Promise<ImportReport> {
  const report = await importCsv(db, csv, memberImport, options);
  if (options.by && !report.dryRun) await audit(db, { event: 'members.imported', ...options.by, detail: importCounts(report) });
  return report;
}
