// The account store: members and business portal users, who they are and their credentials.
import { randomUUID } from 'node:crypto';
import type { AccountKind, Language } from '../../config/vocabulary.ts';
import { audit, type AuditContext } from '../audit/audit.ts';
import type { Db } from '../storage/db.ts';
import type { AccountRow } from '../storage/tables.ts';
import { isUniqueViolation } from '../storage/unique-violation.ts';
import { firstRow } from '../storage/direct.ts';
import { InputError, UsernameError } from '../errors.ts';
import { normalizeEmail, normalizeMobile } from './contact.ts';

export type Account = {
  id: string;
  kind: AccountKind;
  status: string;
  memberNumber: string | null;
  givenName: string | null;
  familyName: string | null;
  email: string | null;
  mobile: string | null;
  emailVerified: boolean;
  mobileVerified: boolean;
  username: string | null;
  passwordHash: string | null;
  organizationNumber: string | null;
  organizationName: string | null;
  language: Language;
};

/** The columns an Account is made of: selected by the look-up by id and by the token look-up (src/oidc/adapter.ts). */
export const ACCOUNT_COLUMNS = [
  'id', 'kind', 'status', 'member_number', 'given_name', 'family_name', 'email', 'mobile', 'email_verified_at',
  'mobile_verified_at', 'username', 'password_hash', 'organization_number', 'organization_name', 'language',
] as const satisfies readonly (keyof AccountRow)[];
export type AccountColumns = Pick<AccountRow, (typeof ACCOUNT_COLUMNS)[number]>;

/** An `accounts` row as an Account. */
export function fromRow(row: AccountColumns): Account {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    memberNumber: row.member_number,
    givenName: row.given_name,
    familyName: row.family_name,
    email: row.email,
    mobile: row.mobile,
    emailVerified: row.email_verified_at !== null,
    mobileVerified: row.mobile_verified_at !== null,
    username: row.username,
    passwordHash: row.password_hash,
    organizationNumber: row.organization_number,
    organizationName: row.organization_name,
    language: row.language === 'en' ? 'en' : 'nb',
  };
}

/** Whether the account may sign in at all (credentials aside). */
export function canSignIn(account: Account): boolean {
  return account.status === 'active';
}

// Every token use reads the account of its token (usually along with the token: src/oidc/adapter.ts):
// fixed SQL past knex's query builder (src/storage/direct.ts), and no bound LIMIT (the id is the key;
// SQLite ran `limit ?` at twice the time of the look-up itself).
const ACCOUNT_BY_ID = `select ${ACCOUNT_COLUMNS.join(', ')} from accounts where id = ?`;

export async function findAccountById(db: Db, id: string): Promise<Account | undefined> {
  if (typeof id !== 'string' || id.length > 64) return undefined;
  const row = await firstRow<AccountColumns>(db, ACCOUNT_BY_ID, [id]);
  return row ? fromRow(row) : undefined;
}

/** A username is compared without regard to case or Unicode form. */
export const usernameKey = (username: string) => username.normalize('NFKC').trim().toLowerCase();

export const isMemberNumber = (identifier: string) => /^\d+$/.test(identifier);

/** What a member number can look like: 1-20 digits. */
export const MEMBER_NUMBER = /^\d{1,20}$/;

// Every password sign-in looks its member up: fixed SQL past knex, as ACCOUNT_BY_ID (knex's builder
// and runner cost more than the look-up). Both columns are unique, so no LIMIT (a bound one doubled
// SQLite's time).
const MEMBER_BY_NUMBER = `select ${ACCOUNT_COLUMNS.join(', ')} from accounts where kind = ? and member_number = ?`;
const MEMBER_BY_USERNAME = `select ${ACCOUNT_COLUMNS.join(', ')} from accounts where kind = ? and username_key = ?`;

/** "Medlemsnummer eller brukernavn": digits only is a member number, anything else a username. */
export async function findMemberByIdentifier(db: Db, identifier: string): Promise<Account | undefined> {
  const trimmed = identifier.normalize('NFKC').trim();
  if (!trimmed || trimmed.length > 100) return undefined;
  const row = isMemberNumber(trimmed)
    ? await firstRow<AccountColumns>(db, MEMBER_BY_NUMBER, ['member', trimmed])
    : await firstRow<AccountColumns>(db, MEMBER_BY_USERNAME, ['member', usernameKey(trimmed)]);
  return row ? fromRow(row) : undefined;
}

export async function findMemberByNumber(db: Db, memberNumber: string): Promise<Account | undefined> {
  const row = await firstRow<AccountColumns>(db, MEMBER_BY_NUMBER, ['member', memberNumber.trim()]);
  return row ? fromRow(row) : undefined;
}

export async function setPasswordHash(db: Db, accountId: string, passwordHash: string | null): Promise<void> {
  await db('accounts').where({ id: accountId }).update({ password_hash: passwordHash, updated_at: Date.now() });
}

export type MemberInput = {
  memberNumber: string;
  givenName: string;
  familyName: string;
  email?: string;
  mobile?: string;
  status?: string;
  language?: string;
  /** A legacy bcrypt hash carried over from the old system. */
  passwordHash?: string;
};

type MemberFields = {
  member_number: string;
  given_name: string;
  family_name: string;
  email: string | null;
  mobile: string | null;
  status: string;
  language: Language;
  password_hash?: string;
};

/** Validates one member record; every problem is named so an operator can fix the line. */
export function validateMember(input: MemberInput): MemberFields {
  const problems: string[] = [];
  const memberNumber = (input.memberNumber ?? '').trim();
  if (!MEMBER_NUMBER.test(memberNumber)) problems.push('member_number must be 1-20 digits');
  const givenName = (input.givenName ?? '').trim();
  const familyName = (input.familyName ?? '').trim();
  if (!givenName || givenName.length > 200) problems.push('given_name is required (at most 200 characters)');
  if (!familyName || familyName.length > 200) problems.push('family_name is required (at most 200 characters)');
  if (/\p{Cc}/u.test(givenName + familyName)) problems.push('names must not contain control characters');
  let email: string | null = null;
  if (input.email?.trim()) {
    email = normalizeEmail(input.email) ?? null;
    if (!email) problems.push(`email is not a valid address: ${input.email}`);
  }
  let mobile: string | null = null;
  if (input.mobile?.trim()) {
    mobile = normalizeMobile(input.mobile) ?? null;
    if (!mobile) problems.push(`mobile is not a valid number: ${input.mobile}`);
  }
  const status = (input.status ?? 'active').trim() || 'active';
  if (status !== 'active' && status !== 'inactive') problems.push('status must be active or inactive');
  const language = (input.language ?? 'nb').trim() || 'nb';
  if (language !== 'nb' && language !== 'en') problems.push('language must be nb or en');
  if (input.passwordHash && !/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(input.passwordHash)) {
    problems.push('password_hash must be a bcrypt hash');
  }
  if (problems.length) throw new InputError(problems.join('; '));
  return {
    member_number: memberNumber,
    given_name: givenName,
    family_name: familyName,
    email,
    mobile,
    status,
    language: language as Language,
    ...(input.passwordHash ? { password_hash: input.passwordHash } : {}),
  };
}

/** Adds the member, or updates the member with that number. Credentials are left as they are. */
export async function upsertMember(db: Db, input: MemberInput, by?: AuditContext): Promise<{ account: Account; added: boolean }> {
  const fields = validateMember(input);
  const now = Date.now();
  const result = await db.transaction(async (trx): Promise<{ account: Account; added: boolean }> => {
    const existing = await trx('accounts').where({ kind: 'member', member_number: fields.member_number }).first('id');
    if (existing) {
      const { password_hash: _ignored, ...update } = fields;
      await trx('accounts').where({ id: existing.id }).update({ ...update, updated_at: now });
      return { account: fromRow((await trx('accounts').where({ id: existing.id }).first())!), added: false };
    }
    const id = randomUUID();
    await trx('accounts').insert({ id, kind: 'member', ...fields, created_at: now, updated_at: now });
    return { account: fromRow((await trx('accounts').where({ id }).first())!), added: true };
  });
  // Who asked (the CLI) is on the audit log; seeds and tests leave `by` out.
  if (by) await audit(db, { event: result.added ? 'member.added' : 'member.updated', accountId: result.account.id, ...by }, now);
  return result;
}

/** The claims each scope releases (see config/oidc.ts for the scope → claim table). */
export function accountClaims(account: Account): Record<string, unknown> {
  const name = [account.givenName, account.familyName].filter(Boolean).join(' ') || undefined;
  return {
    sub: account.id,
    name,
    given_name: account.givenName ?? undefined,
    family_name: account.familyName ?? undefined,
    preferred_username: account.username ?? account.email ?? undefined,
    email: account.email ?? undefined,
    email_verified: account.email ? account.emailVerified : undefined,
    phone_number: account.mobile ?? undefined,
    phone_number_verified: account.mobile ? account.mobileVerified : undefined,
    ...(account.kind === 'member'
      ? { member_number: account.memberNumber, membership_status: account.status }
      : { organization_number: account.organizationNumber ?? undefined, organization_name: account.organizationName ?? undefined }),
  };
}

/** Username rules: 3-100 characters after trimming, not all digits (that is a member number), unique without regard to case. */
export function validateUsername(raw: string): string {
  const username = raw.normalize('NFKC').trim();
  const length = [...username].length;
  if (length < 3 || length > 100) throw new UsernameError('length');
  if (isMemberNumber(username)) throw new UsernameError('digits');
  if (/[\p{Cc}\p{Cf}\s]/u.test(username)) throw new UsernameError('characters');
  // Case folding can lengthen a name ("İ" becomes two code points); the key must fit its column.
  if (usernameKey(username).length > 100) throw new UsernameError('length');
  return username;
}

export async function setUsername(db: Db, accountId: string, raw: string): Promise<string> {
  const username = validateUsername(raw);
  const key = usernameKey(username);
  const taken = await db('accounts').where({ username_key: key }).whereNot({ id: accountId }).first('id');
  if (taken) throw new UsernameError('taken');
  try {
    await db('accounts').where({ id: accountId }).update({ username, username_key: key, updated_at: Date.now() });
  } catch (error) {
    // Two people choosing the same name at once: the unique index decides.
    if (isUniqueViolation(error)) throw new UsernameError('taken');
    throw error;
  }
  return username;
}
