// Staff sign-in, in two steps, each throttled like a member's password (throttledAttempt): e-mail +
// password, then a TOTP code (accepted once) or a recovery code (single use). Neither step alone
// signs anyone in: the interaction finishes only after the second, with amr ["pwd", "otp"]. Each step's
// outcome is audited here (`staff.sign_in.*`), with the request's context.
import { audit, type AuditContext } from '../audit/audit.ts';
import { throttledAttempt, typedKey, type SignInDeps } from '../accounts/sign-in.ts';
import type { Db } from '../storage/db.ts';
import { acceptTotpStep, matchingStep, openTotpSecret, redeemRecoveryCode } from './second-factor.ts';
import { findStaffByEmail, findStaffById, staffActor, staffCanSignIn, type Staff } from './staff.ts';

/** The staff member if the password is theirs and they may sign in; unknown e-mails cost the same bcrypt comparison. */
export async function checkStaffPassword(
  deps: SignInDeps,
  email: string,
  password: string,
  context: AuditContext & { ip: string },
): Promise<{ staff?: Staff; throttled: boolean }> {
  const found = await findStaffByEmail(deps.db, email);
  const subject = found ? `staff-signin:${found.id}` : typedKey(deps, 'staff-signin-id', email);
  const usable = found && staffCanSignIn(found) ? found : undefined;
  const { result, throttled } = await throttledAttempt(deps, subject, context.ip, async (allowed) => {
    const { ok } = await deps.hasher.verify(password, usable?.passwordHash);
    return allowed && ok ? usable : undefined;
  });
  await audit(
    deps.db,
    result
      ? { event: 'staff.sign_in.password_accepted', accountId: result.id, ...context, actor: staffActor(result.id) }
      : { event: throttled ? 'staff.sign_in.throttled' : 'staff.sign_in.failed', ...context, detail: { step: 'password' } },
    deps.now(),
  );
  return { staff: result, throttled };
}

export type SecondFactor = 'otp' | 'recovery_code';

/**
 * The second step: a 6-digit TOTP code of a step not used before, or one of the recovery codes.
 * Counted on its own key, so guessing codes is throttled apart from guessing passwords.
 */
export async function checkStaffSecondFactor(
  deps: SignInDeps & { keyEncryptionKey: string },
  staffId: string,
  code: string,
  context: AuditContext & { ip: string },
): Promise<{ staff?: Staff; factor?: SecondFactor; throttled: boolean }> {
  const staff = await findStaffById(deps.db, staffId);
  const usable = staff && staffCanSignIn(staff) ? staff : undefined;
  const { result, throttled } = await throttledAttempt(deps, `staff-otp:${staffId}`, context.ip, async (allowed) => {
    if (!allowed || !usable) return undefined;
    return verifySecondFactor(deps.db, usable, code, deps);
  });
  const by = { accountId: staffId, ...context, actor: staffActor(staffId) };
  if (!result) {
    await audit(deps.db, { event: throttled ? 'staff.sign_in.throttled' : 'staff.sign_in.failed', ...by, detail: { step: 'code' } }, deps.now());
    return { throttled };
  }
  await audit(deps.db, { event: 'staff.sign_in.succeeded', ...by, detail: { factor: result } }, deps.now());
  return { staff: usable, factor: result, throttled: false };
}

async function verifySecondFactor(db: Db, staff: Staff, code: string, deps: SignInDeps & { keyEncryptionKey: string }): Promise<SecondFactor | undefined> {
  const typed = code.replace(/\s/g, '');
  if (/^\d{6}$/.test(typed)) {
    const step = matchingStep(openTotpSecret(staff.totpSecret!, staff.id, deps.keyEncryptionKey), typed, deps.now());
    return step !== undefined && (await acceptTotpStep(db, staff.id, step)) ? 'otp' : undefined;
  }
  return (await redeemRecoveryCode(db, staff.id, typed, deps.pepper, deps.now())) ? 'recovery_code' : undefined;
}
