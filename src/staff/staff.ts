// Staff accounts: caseworkers and admins of the console, in a table of their own (never members or
// business users). An admin or the CLI adds them as "invited"; they become "active" when they have
// set a password and enrolled TOTP (enrolment.ts); they can be disabled, enabled, re-roled and reset.
import { randomUUID } from 'node:crypto';
import { normalizeEmail } from '../accounts/contact.ts';
import { InputError } from '../errors.ts';
import { endEverythingOf } from '../oidc/adapter.ts';
import { audit, type AuditContext } from '../audit/audit.ts';
import type { Db } from '../storage/db.ts';
import type { StaffRow } from '../storage/tables.ts';
import { isUniqueViolation } from '../storage/unique-violation.ts';
import type { Language } from '../../config/vocabulary.ts';

/** Who acted, as the audit log records a staff member. */
export const staffActor = (staffId: string) => `staff:${staffId}`;

export type StaffRole = 'caseworker' | 'admin';
export type StaffStatus = 'invited' | 'active' | 'disabled';
export const STAFF_ROLES: StaffRole[] = ['caseworker', 'admin'];

export type Staff = {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  status: StaffStatus;
  passwordHash: string | null;
  totpSecret: string | null;
  language: Language;
  createdAt: number;
};

function fromRow(row: StaffRow): Staff {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role === 'admin' ? 'admin' : 'caseworker',
    status: row.status,
    passwordHash: row.password_hash,
    totpSecret: row.totp_secret,
    language: row.language === 'en' ? 'en' : 'nb',
    createdAt: Number(row.created_at),
  };
}

/** Whether the staff member may sign in at all: active, with both factors enrolled. */
export const staffCanSignIn = (staff: Staff) => staff.status === 'active' && Boolean(staff.passwordHash && staff.totpSecret);

export function parseRole(raw: string | undefined): StaffRole {
  if (raw !== 'caseworker' && raw !== 'admin') throw new InputError('role must be caseworker or admin');
  return raw;
}

export async function findStaffById(db: Db, id: string): Promise<Staff | undefined> {
  if (typeof id !== 'string' || id.length > 64) return undefined;
  const row = await db('staff').where({ id }).first();
  return row ? fromRow(row) : undefined;
}

export async function findStaffByEmail(db: Db, email: string): Promise<Staff | undefined> {
  const normalized = normalizeEmail(email);
  if (!normalized) return undefined;
  const row = await db('staff').where({ email: normalized }).first();
  return row ? fromRow(row) : undefined;
}

export async function listStaff(db: Db): Promise<Staff[]> {
  return (await db('staff').orderBy('email')).map(fromRow);
}

async function staffOrThrow(db: Db, email: string): Promise<Staff> {
  const staff = await findStaffByEmail(db, email);
  if (!staff) throw new InputError(`no staff member ${email}`);
  return staff;
}

// `by` in the functions below: who asked (an admin in the console, an operator at the CLI), for the
// audit log. Tests leave it out and are not audited.

/** Adds a staff member as invited (no password, no TOTP). An e-mail already in use is refused. */
export async function addStaff(db: Db, input: { email: string; name: string; role: string; language?: string }, now = Date.now(), by?: AuditContext): Promise<Staff> {
  const problems: string[] = [];
  const email = input.email?.trim() ? normalizeEmail(input.email) : undefined;
  if (!email) problems.push(input.email?.trim() ? `email is not a valid address: ${input.email}` : 'email is required');
  const name = (input.name ?? '').trim();
  // No control or format characters (bidirectional overrides would garble lists and logs).
  if (!name || name.length > 200 || /[\p{Cc}\p{Cf}]/u.test(name)) problems.push('name is required (at most 200 characters, no control characters)');
  const role = input.role === 'caseworker' || input.role === 'admin' ? input.role : undefined;
  if (!role) problems.push('role must be caseworker or admin');
  const language = input.language ?? 'nb';
  if (language !== 'nb' && language !== 'en') problems.push('language must be nb or en');
  // (Without an e-mail or role there is a problem too; the check tells the type checker.)
  if (problems.length || !email || !role) throw new InputError(problems.join('; '));
  const id = randomUUID();
  try {
    await db('staff').insert({ id, email, name, role, status: 'invited', language, created_at: now, updated_at: now });
  } catch (error) {
    if (isUniqueViolation(error)) throw new InputError(`${email} is already a staff member`);
    throw error;
  }
  const staff = (await findStaffById(db, id))!;
  if (by) await audit(db, { event: 'staff.added', accountId: id, ...by, detail: { role: staff.role } }, now);
  return staff;
}

/** Ends every console session and provider session of the staff member. */
export async function endStaffSessions(db: Db, staffId: string, now: number): Promise<void> {
  await db('console_sessions').where({ staff_id: staffId }).whereNull('ended_at').update({ ended_at: now });
  await endEverythingOf(db, staffId, now);
}

/** No sign-in, no invitation link; every session ends now. */
export async function disableStaff(db: Db, email: string, now = Date.now(), by?: AuditContext): Promise<Staff> {
  const staff = await staffOrThrow(db, email);
  await db.transaction(async (trx) => {
    await trx('staff').where({ id: staff.id }).update({ status: 'disabled', updated_at: now });
    await trx('staff_invitations').where({ staff_id: staff.id }).whereNull('used_at').whereNull('revoked_at').update({ revoked_at: now });
  });
  await endStaffSessions(db, staff.id, now);
  if (by) await audit(db, { event: 'staff.disabled', accountId: staff.id, ...by }, now);
  return (await findStaffById(db, staff.id))!;
}

/** Undoes a disable: active again if both factors are enrolled, else invited. */
export async function enableStaff(db: Db, email: string, now = Date.now(), by?: AuditContext): Promise<Staff> {
  const staff = await staffOrThrow(db, email);
  if (staff.status !== 'disabled') throw new InputError(`${staff.email} is not disabled (status ${staff.status})`);
  await db('staff').where({ id: staff.id }).update({ status: staff.passwordHash && staff.totpSecret ? 'active' : 'invited', updated_at: now });
  if (by) await audit(db, { event: 'staff.enabled', accountId: staff.id, ...by }, now);
  return (await findStaffById(db, staff.id))!;
}

export async function changeStaffRole(db: Db, email: string, role: string, now = Date.now(), by?: AuditContext): Promise<Staff> {
  const staff = await staffOrThrow(db, email);
  const newRole = parseRole(role);
  await db('staff').where({ id: staff.id }).update({ role: newRole, updated_at: now });
  // The new role applies at once: the console reads it on every request.
  if (by) await audit(db, { event: 'staff.role_changed', accountId: staff.id, ...by, detail: { role: newRole } }, now);
  return (await findStaffById(db, staff.id))!;
}

/**
 * Forgets the password, the TOTP secret and the recovery codes (a lost phone): the staff member is
 * invited again and must enrol anew from a new invitation. Every session ends now.
 */
export async function resetStaff(db: Db, email: string, now = Date.now(), by?: AuditContext): Promise<Staff> {
  const staff = await staffOrThrow(db, email);
  if (staff.status === 'disabled') throw new InputError(`${staff.email} is disabled; enable first`);
  await db.transaction(async (trx) => {
    await trx('staff').where({ id: staff.id }).update({ status: 'invited', password_hash: null, totp_secret: null, totp_last_step: null, updated_at: now });
    await trx('staff_recovery_codes').where({ staff_id: staff.id }).delete();
  });
  await endStaffSessions(db, staff.id, now);
  if (by) await audit(db, { event: 'staff.reset', accountId: staff.id, ...by }, now);
  return (await findStaffById(db, staff.id))!;
}
