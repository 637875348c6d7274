// Business portal users: people at an employer who sign in with e-mail + password. HK creates them
// (CLI, import) as "invited"; they become "active" when they set a password (one-time code or
// invitation link); an admin can disable them. The e-mail address is the login name.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Settings } from '../../config/settings.ts';
import { audit, type AuditContext } from '../audit/audit.ts';
import type { Db } from '../storage/db.ts';
import { digestOf } from '../security/digest.ts';
import { InputError } from '../errors.ts';
import { enqueue } from '../delivery/outbox.ts';
import type { Channel } from '../delivery/delivery.ts';
import { endEverythingOf } from '../oidc/adapter.ts';
import { cancelOneTimeCodes } from '../codes/one-time-codes.ts';
import { findAccountById, fromRow, type Account } from './accounts.ts';
import type { Language } from '../../config/vocabulary.ts';
import { normalizeEmail, normalizeMobile } from './contact.ts';
import { checkNewPassword, type PasswordProblem } from './password-policy.ts';
import type { PasswordHasher } from './passwords.ts';
import type { Readable } from 'node:stream';
import { importCounts, importCsv, type ImportOptions, type ImportReport, type ImportSpec } from './csv-import.ts';

export type BusinessStatus = 'invited' | 'active' | 'disabled';

export type BusinessUserInput = {
  email: string;
  mobile?: string;
  givenName: string;
  familyName: string;
  organizationNumber: string;
  organizationName: string;
  language?: string;
};

type BusinessFields = {
  email: string;
  mobile: string | null;
  given_name: string;
  family_name: string;
  organization_number: string;
  organization_name: string;
  language: Language;
};

/** Statuses that may receive a code or an invitation and set a password. */
export const mayActivate = (account: Account) => account.kind === 'business' && (account.status === 'invited' || account.status === 'active');

/** Validates one business user; every problem is named so an operator can fix the line. */
export function validateBusinessUser(input: BusinessUserInput): BusinessFields {
  const problems: string[] = [];
  const email = input.email?.trim() ? normalizeEmail(input.email) : undefined;
  if (!email) problems.push(input.email?.trim() ? `email is not a valid address: ${input.email}` : 'email is required');
  let mobile: string | null = null;
  if (input.mobile?.trim()) {
    mobile = normalizeMobile(input.mobile) ?? null;
    if (!mobile) problems.push(`mobile is not a valid number: ${input.mobile}`);
  }
  const givenName = (input.givenName ?? '').trim();
  const familyName = (input.familyName ?? '').trim();
  if (!givenName || givenName.length > 200) problems.push('given_name is required (at most 200 characters)');
  if (!familyName || familyName.length > 200) problems.push('family_name is required (at most 200 characters)');
  // Norwegian organisation numbers: nine digits, often written in groups of three.
  const organizationNumber = (input.organizationNumber ?? '').replace(/\s/g, '');
  if (!/^\d{9}$/.test(organizationNumber)) problems.push('organization_number must be 9 digits');
  const organizationName = (input.organizationName ?? '').trim();
  if (!organizationName || organizationName.length > 200) problems.push('organization_name is required (at most 200 characters)');
  if (/\p{Cc}/u.test(givenName + familyName + organizationName)) problems.push('names must not contain control characters');
  const language = (input.language ?? 'nb').trim() || 'nb';
  if (language !== 'nb' && language !== 'en') problems.push('language must be nb or en');
  if (problems.length) throw new InputError(problems.join('; '));
  return {
    email: email!,
    mobile,
    given_name: givenName,
    family_name: familyName,
    organization_number: organizationNumber,
    organization_name: organizationName,
    language: language as Language,
  };
}

async function accountOrThrow(db: Db, id: string): Promise<Account> {
  const account = await findAccountById(db, id);
  if (!account) throw new Error(`account ${id} vanished`);
  return account;
}

/** Adds the user as invited, or updates the user with that e-mail. Status and password are left as they are. */
// `by` in the functions below: who asked (an admin in the console, an operator at the CLI), for the
// audit log. Seeds (the demo) and tests leave it out and are not audited.

export async function upsertBusinessUser(db: Db, input: BusinessUserInput, now = Date.now(), by?: AuditContext): Promise<{ account: Account; added: boolean }> {
  const fields = validateBusinessUser(input);
  const { id, added } = await db.transaction(async (trx) => {
    const existing = await trx('accounts').where({ kind: 'business', email: fields.email }).first('id');
    if (existing) {
      await trx('accounts').where({ id: existing.id }).update({ ...fields, updated_at: now });
      return { id: existing.id, added: false };
    }
    const newId = randomUUID();
    await trx('accounts').insert({ id: newId, kind: 'business', status: 'invited', ...fields, created_at: now, updated_at: now });
    return { id: newId, added: true };
  });
  if (by) await audit(db, { event: added ? 'business.added' : 'business.updated', accountId: id, ...by }, now);
  return { account: await accountOrThrow(db, id), added };
}

/** The business user whose login name is `email` (any notation), whatever their status. */
export async function findBusinessUserByEmail(db: Db, email: string): Promise<Account | undefined> {
  const normalized = normalizeEmail(email);
  if (!normalized) return undefined;
  const row = await db('accounts').where({ kind: 'business', email: normalized }).first();
  return row ? fromRow(row) : undefined;
}

/** Business users registered with this normalised e-mail or mobile. A mobile may be shared, so a list. */
export async function findBusinessUsersByAddress(db: Db, channel: Channel, address: string): Promise<Account[]> {
  // One query whatever the outcome, so a known address costs no more time than an unknown one.
  const rows = await db('accounts').where({ kind: 'business', [channel === 'email' ? 'email' : 'mobile']: address }).limit(5);
  return rows.map(fromRow);
}

export async function listBusinessUsers(db: Db, filter: { status?: string; organizationNumber?: string } = {}): Promise<Account[]> {
  const query = db('accounts').where({ kind: 'business' }).orderBy(['organization_number', 'email']);
  if (filter.status) query.where({ status: filter.status });
  if (filter.organizationNumber) query.where({ organization_number: filter.organizationNumber.replace(/\s/g, '') });
  return (await query).map(fromRow);
}

async function businessUserOrThrow(db: Db, email: string): Promise<Account> {
  const account = await findBusinessUserByEmail(db, email);
  if (!account) throw new InputError(`no business user ${email}`);
  return account;
}

/** Disables the user: no sign-in, no code, no invitation; every session, grant and token ends now. */
export async function disableBusinessUser(db: Db, email: string, now = Date.now(), by?: AuditContext): Promise<Account> {
  const account = await businessUserOrThrow(db, email);
  await db.transaction(async (trx) => {
    await trx('accounts').where({ id: account.id }).update({ status: 'disabled', updated_at: now });
    await cancelOneTimeCodes(trx, account.id, now);
    await trx('invitations').where({ account_id: account.id }).whereNull('used_at').whereNull('revoked_at').update({ revoked_at: now });
  });
  await endEverythingOf(db, account.id, now);
  if (by) await audit(db, { event: 'business.disabled', accountId: account.id, ...by }, now);
  return accountOrThrow(db, account.id);
}

/** Undoes a disable: active again if the user had set a password, else invited. */
export async function enableBusinessUser(db: Db, email: string, now = Date.now(), by?: AuditContext): Promise<Account> {
  const account = await businessUserOrThrow(db, email);
  if (account.status !== 'disabled') throw new InputError(`${account.email} is not disabled (status ${account.status})`);
  await db('accounts').where({ id: account.id }).update({ status: account.passwordHash ? 'active' : 'invited', updated_at: now });
  if (by) await audit(db, { event: 'business.enabled', accountId: account.id, ...by }, now);
  return accountOrThrow(db, account.id);
}

export const BUSINESS_COLUMNS = {
  required: ['email', 'mobile', 'given_name', 'family_name', 'organization_number', 'organization_name'],
  optional: ['language'],
};

const businessImport: ImportSpec<BusinessFields> = {
  columns: BUSINESS_COLUMNS,
  validate: (r) =>
    validateBusinessUser({
      email: r.email!,
      mobile: r.mobile,
      givenName: r.given_name!,
      familyName: r.family_name!,
      organizationNumber: r.organization_number!,
      organizationName: r.organization_name!,
      language: r.language,
    }),
  keyColumn: 'email',
  // The partial unique index on e-mail needs the kind in the query.
  existing: (query, keys) => query.where({ kind: 'business' }).whereIn('email', keys),
  // Status and password are left as they are.
  updatable: ['mobile', 'given_name', 'family_name', 'organization_number', 'organization_name', 'language'],
  newRow: (_fields, now) => ({ id: randomUUID(), kind: 'business', status: 'invited', created_at: now, updated_at: now }),
};

/**
 * `hk-idp business-users import`: adds new users (invited), updates changed ones; bad lines are
 * reported by number. `invited` lists the file's users who have not activated yet (for --invite).
 */
export async function importBusinessUsers(
  db: Db,
  csv: Readable | string,
  now = Date.now(),
  options: ImportOptions & { by?: AuditContext } = {},
): Promise<ImportReport & { invited: string[] }> {
  const keys = new Set<string>();
  const report = await importCsv(db, csv, businessImport, { ...options, now, onKeys: (batch) => batch.forEach((key) => keys.add(key)) });
  const emails: string[] = [];
  const all = [...keys];
  // Looked up in chunks: a statement has a limit on bound values.
  for (let i = 0; i < all.length; i += 500) {
    emails.push(...(await db('accounts').where({ kind: 'business', status: 'invited' }).whereIn('email', all.slice(i, i + 500)).pluck('email')).filter((email) => email !== null));
  }
  if (options.by && !report.dryRun) await audit(db, { event: 'business.imported', ...options.by, detail: importCounts(report) }, now);
  return { ...report, invited: emails };
}

// ---- Passwords ---------------------------------------------------------------------------------

/** A new password as the form gave it: null when a field could not be read (over the length limit, control characters). */
export type NewPasswordInput = { password: string | null; confirmation: string | null };

/**
 * The problems with a business user's new password, in the order to fix them; empty when it is fine.
 * `identifiers` are the user's own addresses (as far as this step may know them). A field that could
 * not be read counts as too long.
 */
export function businessPasswordProblems(input: NewPasswordInput, minLength: number, identifiers: (string | null | undefined)[]): PasswordProblem[] {
  if (input.password === null || input.confirmation === null) return ['too_long'];
  return checkNewPassword(input.password, input.confirmation, { minLength, identifiers });
}

/** Thrown inside a transaction to undo it (the invitation is not spent when nothing else changed). */
class Rollback extends Error {}

/**
 * The changes of setting a password, inside the caller's transaction (see setBusinessPassword).
 * False when the user was disabled meanwhile (the status is re-checked in the same UPDATE).
 */
async function applyPassword(trx: Db, before: Account, passwordHash: string, proved: Channel, now: number, contactEmail = '', language: Language = before.language): Promise<boolean> {
  const changed = await trx('accounts')
    .where({ id: before.id })
    .whereIn('status', ['invited', 'active'])
    .update({
      password_hash: passwordHash,
      status: 'active',
      [proved === 'email' ? 'email_verified_at' : 'mobile_verified_at']: now,
      updated_at: now,
    });
  if (!changed) return false;
  // The password is set: outstanding codes and links for it are worthless now.
  await cancelOneTimeCodes(trx, before.id, now);
  await trx('invitations').where({ account_id: before.id }).whereNull('used_at').whereNull('revoked_at').update({ revoked_at: now });
  if (before.status === 'active' && before.email) {
    // A replaced password is news to the owner: a notice with no secret in it.
    await enqueue(trx, { channel: 'email', to: before.email, kind: 'business_password_changed', language, params: { contact: contactEmail }, expiresAt: now + 7 * 24 * 3600 * 1000, accountId: before.id }, now);
  }
  return true;
}

/**
 * Sets the password of a user who has just proved control of an address (a one-time code): the
 * account becomes active, that address is marked verified, and every session, grant and token of
 * the account ends. Returns the status before, which tells activation from reset; undefined when
 * the user was disabled in the meantime (nothing is changed).
 */
export async function setBusinessPassword(
  db: Db,
  accountId: string,
  passwordHash: string,
  proved: Channel,
  now: number,
  /** Named in the notice a replaced password sends, for "it was not me". */
  contactEmail: string,
  /** The notice's language: the page's, when the person changed it there; else the register's. */
  language?: Language,
): Promise<{ account: Account; previousStatus: BusinessStatus } | undefined> {
  const before = await accountOrThrow(db, accountId);
  if (!(await db.transaction((trx) => applyPassword(trx, before, passwordHash, proved, now, contactEmail, language)))) return undefined;
  await endEverythingOf(db, accountId, now);
  return { account: await accountOrThrow(db, accountId), previousStatus: before.status as BusinessStatus };
}

// ---- Invitations -------------------------------------------------------------------------------

export const invitationPath = '/business/invitation/';

/**
 * E-mails the user a single-use link to set a password. The link is built from the configured
 * issuer (never from a request); the token is stored only as a hash, in the transaction that queues
 * the e-mail. A new invitation revokes the older ones.
 */
export async function inviteBusinessUser(
  db: Db,
  options: { issuer: string; ttlMs: number; createdBy: string },
  email: string,
  now = Date.now(),
  by?: AuditContext,
): Promise<{ account: Account; expiresAt: number }> {
  const account = await businessUserOrThrow(db, email);
  if (account.status !== 'invited') {
    throw new InputError(`${account.email} is ${account.status}; only users who have not activated yet can be invited`);
  }
  const token = randomBytes(32).toString('base64url');
  const expiresAt = now + options.ttlMs;
  await db.transaction(async (trx) => {
    await trx('invitations').where({ account_id: account.id }).whereNull('used_at').whereNull('revoked_at').update({ revoked_at: now });
    await trx('invitations').insert({
      id: randomUUID(),
      account_id: account.id,
      token_hash: digestOf(token),
      created_by: options.createdBy.slice(0, 200),
      created_at: now,
      expires_at: expiresAt,
    });
    await enqueue(
      trx,
      {
        channel: 'email',
        to: account.email!,
        kind: 'business_invitation',
        language: account.language,
        params: {
          link: `${options.issuer}${invitationPath}${token}`,
          name: account.givenName ?? '',
          organization: account.organizationName ?? '',
          days: String(Math.round(options.ttlMs / (24 * 3600 * 1000))),
        },
        expiresAt,
        accountId: account.id,
      },
      now,
    );
  });
  if (by) await audit(db, { event: 'business.invited', accountId: account.id, ...by, detail: { expiresAt } }, now);
  return { account, expiresAt };
}

const liveInvitation = (db: Db, token: string, now: number) =>
  db('invitations').where({ token_hash: digestOf(token) }).whereNull('used_at').whereNull('revoked_at').where('expires_at', '>', now);

/** The user a live invitation token is for, without using it up (opening the link changes nothing). */
export async function findInvitation(db: Db, token: string, now: number): Promise<Account | undefined> {
  if (typeof token !== 'string' || !/^[\w-]{43}$/.test(token)) return undefined;
  const row = await liveInvitation(db, token, now).first('account_id');
  const account = row ? await findAccountById(db, row.account_id) : undefined;
  return account && account.status === 'invited' ? account : undefined;
}

/**
 * Uses up the invitation and sets the password, in one transaction; undefined when the link is used,
 * expired, revoked or its user no longer invited. The conditional UPDATE makes the token single-use
 * even under parallel requests.
 */
export async function acceptInvitation(db: Db, token: string, passwordHash: string, now: number): Promise<Account | undefined> {
  const account = await findInvitation(db, token, now);
  if (!account) return undefined;
  const accepted = await db.transaction(async (trx) => {
    const used = await liveInvitation(trx, token, now).update({ used_at: now });
    if (!used) return false;
    // The link came by e-mail to this address: that proves it. A user disabled meanwhile gets nothing.
    if (!(await applyPassword(trx, account, passwordHash, 'email', now))) throw new Rollback();
    return true;
  }).catch((error) => {
    if (error instanceof Rollback) return false;
    throw error;
  });
  if (!accepted) return undefined;
  await endEverythingOf(db, account.id, now);
  return accountOrThrow(db, account.id);
}

/**
 * The invitation link's form: a password that passes the rules uses the link up and activates the
 * account. `refused` (audited) when the link is used, expired, revoked or its user no longer invited;
 * `invalid` (nothing changed, the link still works) lists the password's problems.
 */
export async function acceptBusinessInvitation(
  db: Db,
  hasher: PasswordHasher,
  settings: Pick<Settings, 'passwordMinLength'>,
  input: { token: string } & NewPasswordInput,
  context: AuditContext,
  now: number,
): Promise<{ status: 'done'; account: Account } | { status: 'invalid'; email: string; problems: PasswordProblem[] } | { status: 'refused' }> {
  const account = await findInvitation(db, input.token, now);
  if (!account) {
    await audit(db, { event: 'invitation.refused', ...context }, now);
    return { status: 'refused' };
  }
  const problems = businessPasswordProblems(input, settings.passwordMinLength, [account.email, account.mobile]);
  if (problems.length) return { status: 'invalid', email: account.email!, problems };
  const activated = await acceptInvitation(db, input.token, await hasher.hash(input.password!), now);
  if (!activated) {
    await audit(db, { event: 'invitation.refused', accountId: account.id, ...context }, now);
    return { status: 'refused' };
  }
  await audit(db, { event: 'business.activated', accountId: activated.id, ...context, detail: { via: 'invitation' } }, now);
  return { status: 'done', account: activated };
}
