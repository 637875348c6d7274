// Member-specific operations on the account store.
import type { Db } from '../storage/db.ts';
import { upsertMember } from './accounts.ts';
import { importCsv, type ImportReport } from './csv-import.ts';

export const MEMBER_COLUMNS = {
  required: ['member_number', 'given_name', 'family_name', 'email', 'mobile', 'status'],
  optional: ['language', 'password_hash'],
};

/** `hk-idp members import`: upserts every valid line; bad lines are reported by number. */
export function importMembers(db: Db, csv: string): Promise<ImportReport> {
  return importCsv(csv, MEMBER_COLUMNS, async (r) => {
    const { added } = await upsertMember(db, {
      memberNumber: r.member_number!,
      givenName: r.given_name!,
      familyName: r.family_name!,
      email: r.email,
      mobile: r.mobile,
      status: r.status,
      language: r.language,
      passwordHash: r.password_hash,
    });
    return added ? 'added' : 'updated';
  });
}
