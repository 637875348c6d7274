// What a caseworker on the phone sees of a member: found by member number, name, e-mail or mobile,
// the contact masked, the status, whether they have a username and password, and the latest events.
import { fromRow, MEMBER_NUMBER, type Account } from '../accounts/accounts.ts';
import { normalizeEmail, normalizeMobile } from '../accounts/contact.ts';
import { toAuditRow, type AuditRow } from '../audit/audit.ts';
import type { Db } from '../storage/db.ts';
import type { AccountRow } from '../storage/tables.ts';

export type MemberSummary = {
  id: string;
  memberNumber: string;
  name: string;
  status: string;
  maskedMobile: string | null;
  maskedEmail: string | null;
  hasMobile: boolean;
  hasLogin: boolean;
};

/** "+47 ••• •• 432": only the last three digits. */
export function maskMobileForCaseworker(mobile: string): string {
  const norwegian = /^\+47\d{5}(\d{3})$/.exec(mobile);
  return norwegian ? `+47 ••• •• ${norwegian[1]}` : `${mobile.slice(0, 3)} ••• ${mobile.slice(-3)}`;
}

/** "k•••@example.org": the first letter and the domain. */
export function maskEmailForCaseworker(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, 1)}•••${email.slice(at)}`;
}

export function summarize(account: Account): MemberSummary {
  return {
    id: account.id,
    memberNumber: account.memberNumber ?? '',
    name: [account.givenName, account.familyName].filter(Boolean).join(' '),
    status: account.status,
    maskedMobile: account.mobile ? maskMobileForCaseworker(account.mobile) : null,
    maskedEmail: account.email ? maskEmailForCaseworker(account.email) : null,
    hasMobile: Boolean(account.mobile),
    hasLogin: Boolean(account.username && account.passwordHash),
  };
}

const LIMIT = 20;

/** Digits: a member number (or a mobile); an @: an e-mail; a phone-like string: a mobile; anything else: a name. */
export async function searchMembers(db: Db, raw: string): Promise<MemberSummary[]> {
  const query = raw.normalize('NFKC').trim();
  if (!query || query.length > 200) return [];
  const members = () => db('accounts').where({ kind: 'member' }).orderBy('member_number').limit(LIMIT);
  let rows: AccountRow[];
  if (MEMBER_NUMBER.test(query)) {
    const mobile = normalizeMobile(query);
    rows = await members().andWhere((q) => (mobile ? q.where({ member_number: query }).orWhere({ mobile }) : q.where({ member_number: query })));
  } else if (query.includes('@')) {
    const email = normalizeEmail(query);
    rows = email ? await members().where({ email }) : [];
  } else if (/^[+\d\s\-.()]+$/.test(query)) {
    const mobile = normalizeMobile(query);
    rows = mobile ? await members().where({ mobile }) : [];
  } else {
    // Every word must be in the given or family name, ignoring case.
    const words = query.toLowerCase().split(/\s+/).slice(0, 5).map((w) => `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    const builder = members();
    for (const word of words) builder.andWhere((q) => q.whereRaw("lower(given_name) like ? escape '\\'", [word]).orWhereRaw("lower(family_name) like ? escape '\\'", [word]));
    rows = await builder;
  }
  return rows.map((row) => summarize(fromRow(row)));
}

export async function findMemberForCaseworker(db: Db, id: string): Promise<MemberSummary | undefined> {
  if (typeof id !== 'string' || id.length > 64) return undefined;
  const row = await db('accounts').where({ kind: 'member', id }).first();
  return row ? summarize(fromRow(row)) : undefined;
}

/** The member's latest ten security events, newest first; staff looking at the member are not among them. */
export async function memberEvents(db: Db, accountId: string): Promise<AuditRow[]> {
  const rows = await db('audit_log').where({ account_id: accountId }).whereNot('event', 'like', 'console.%').orderBy('id', 'desc').limit(10);
  return rows.map(toAuditRow);
}
