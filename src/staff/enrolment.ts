// A staff member's enrolment, from the e-mailed invitation link: choose a password (the members'
// rules), then enrol TOTP, confirmed with one code, then ten recovery codes shown once. Nothing is
// saved on the account until the code is confirmed: the password and secret wait on the invitation,
// and the one conditional UPDATE that uses up the invitation saves them.
import { randomBytes, randomUUID } from 'node:crypto';
import { audit, type AuditContext } from '../audit/audit.ts';
import { enqueue } from '../delivery/outbox.ts';
import { InputError } from '../errors.ts';
import { throttledAttempt, type SignInDeps } from '../accounts/sign-in.ts';
import type { Db } from '../storage/db.ts';
import { digestOf } from '../security/digest.ts';
import { acceptTotpStep, matchingStep, newRecoveryCodes, newTotpSecret, openTotpSecret, sealTotpSecret, storeRecoveryCodes } from './second-factor.ts';
import { findStaffByEmail, findStaffById, staffActor, type Staff } from './staff.ts';

export const staffInvitationPath = '/console/enrol/';

/**
 * E-mails a single-use enrolment link; older links stop working. Only invited staff can be invited.
 * `by` (who asked: an admin in the console, an operator at the CLI) puts it on the audit log.
 */
export async function inviteStaff(
  db: Db,
  options: { issuer: string; ttlMs: number; createdBy: string },
  email: string,
  now = Date.now(),
  by?: AuditContext,
): Promise<{ staff: Staff; expiresAt: number }> {
  const staff = await findStaffByEmail(db, email);
  if (!staff) throw new InputError(`no staff member ${email}`);
  if (staff.status !== 'invited') throw new InputError(`${staff.email} is ${staff.status}; reset first to enrol again`);
  const token = randomBytes(32).toString('base64url');
  const expiresAt = now + options.ttlMs;
  await db.transaction(async (trx) => {
    await trx('staff_invitations').where({ staff_id: staff.id }).whereNull('used_at').whereNull('revoked_at').update({ revoked_at: now });
    await trx('staff_invitations').insert({ id: randomUUID(), staff_id: staff.id, token_hash: digestOf(token), created_by: options.createdBy.slice(0, 200), created_at: now, expires_at: expiresAt });
    await enqueue(
      trx,
      {
        channel: 'email',
        to: staff.email,
        kind: 'staff_invitation',
        language: staff.language,
        params: { link: `${options.issuer}${staffInvitationPath}${token}`, name: staff.name, days: String(Math.max(1, Math.round(options.ttlMs / (24 * 3600_000)))) },
        expiresAt,
      },
      now,
    );
  });
  if (by) await audit(db, { event: 'staff.invited', accountId: staff.id, ...by, detail: { expiresAt } }, now);
  return { staff, expiresAt };
}

const liveInvitation = (db: Db, token: string, now: number) =>
  db('staff_invitations').where({ token_hash: digestOf(token) }).whereNull('used_at').whereNull('revoked_at').where('expires_at', '>', now);

export type Enrolment = { staff: Staff; passwordChosen: boolean; totpSecret?: string };

/** The enrolment a live link stands for (opening it changes nothing), with its TOTP secret once chosen. */
export async function findEnrolment(db: Db, token: string, keyEncryptionKey: string, now: number): Promise<Enrolment | undefined> {
  if (typeof token !== 'string' || !/^[\w-]{43}$/.test(token)) return undefined;
  const row = await liveInvitation(db, token, now).first();
  const staff = row ? await findStaffById(db, row.staff_id) : undefined;
  if (!row || !staff || staff.status !== 'invited') return undefined;
  return {
    staff,
    passwordChosen: Boolean(row.pending_password_hash),
    totpSecret: row.pending_totp_secret ? openTotpSecret(row.pending_totp_secret, staff.id, keyEncryptionKey) : undefined,
  };
}

/** Keeps the chosen password (hashed) and a fresh TOTP secret on the invitation until a code confirms them. */
export async function choosePassword(db: Db, token: string, passwordHash: string, keyEncryptionKey: string, now: number): Promise<boolean> {
  const enrolment = await findEnrolment(db, token, keyEncryptionKey, now);
  if (!enrolment) return false;
  const changed = await liveInvitation(db, token, now).update({
    pending_password_hash: passwordHash,
    pending_totp_secret: sealTotpSecret(newTotpSecret(), enrolment.staff.id, keyEncryptionKey),
  });
  return changed === 1;
}

/**
 * Confirms the enrolment with a code from the authenticator: in one transaction the invitation is
 * used up (a conditional UPDATE, so only one request wins), the password and TOTP secret are saved,
 * the code's step is recorded as used, and ten recovery codes are made. Returns the codes (to show
 * once), 'wrong_code', or undefined when the link is no longer usable.
 */
export async function confirmEnrolment(
  db: Db,
  token: string,
  code: string,
  secrets: { keyEncryptionKey: string; pepper: string },
  now: number,
): Promise<{ staff: Staff; recoveryCodes: string[] } | 'wrong_code' | undefined> {
  const enrolment = await findEnrolment(db, token, secrets.keyEncryptionKey, now);
  if (!enrolment?.passwordChosen || !enrolment.totpSecret) return undefined;
  const step = matchingStep(enrolment.totpSecret, code, now);
  if (step === undefined) return 'wrong_code';
  const recoveryCodes = newRecoveryCodes();
  const staffId = enrolment.staff.id;
  const saved = await db.transaction(async (trx) => {
    const row = await liveInvitation(trx, token, now).first('id', 'pending_password_hash', 'pending_totp_secret');
    if (!row) return false;
    const used = await trx('staff_invitations').where({ id: row.id }).whereNull('used_at').update({ used_at: now });
    if (!used) return false;
    const activated = await trx('staff')
      .where({ id: staffId, status: 'invited' })
      .update({ status: 'active', password_hash: row.pending_password_hash, totp_secret: row.pending_totp_secret, totp_last_step: null, updated_at: now });
    if (!activated) throw new Error('staff member no longer invited');
    await acceptTotpStep(trx, staffId, step);
    await storeRecoveryCodes(trx, staffId, recoveryCodes, secrets.pepper, now);
    return true;
  }).catch((error) => {
    if ((error as Error).message === 'staff member no longer invited') return false;
    throw error;
  });
  if (!saved) return undefined;
  return { staff: (await findStaffById(db, staffId))!, recoveryCodes };
}

/**
 * confirmEnrolment, with guesses at the code throttled per link and per IP as sign-ins are (the link
 * alone must not allow trying all million codes).
 */
export async function confirmEnrolmentThrottled(
  deps: SignInDeps,
  token: string,
  code: string,
  secrets: { keyEncryptionKey: string; pepper: string },
  context: AuditContext & { ip: string },
): Promise<Awaited<ReturnType<typeof confirmEnrolment>> | 'throttled'> {
  let outcome: Awaited<ReturnType<typeof confirmEnrolment>>;
  const { result, throttled } = await throttledAttempt(deps, `staff-enrol:${digestOf(token)}`, context.ip, async (allowed) => {
    if (!allowed) return undefined;
    outcome = await confirmEnrolment(deps.db, token, code, secrets, deps.now());
    return typeof outcome === 'object' ? outcome : undefined;
  });
  if (result) {
    await audit(deps.db, { event: 'staff.enrolled', accountId: result.staff.id, ...context, actor: staffActor(result.staff.id) }, deps.now());
    return result;
  }
  if (throttled) return 'throttled';
  // A link no longer usable (a wrong code is only counted).
  if (outcome === undefined) await audit(deps.db, { event: 'staff.enrolment_refused', ...context }, deps.now());
  return outcome;
}
