// Staff sign-in, in two steps, each throttled like a member's password (throttledAttempt): e-mail +
// password, then a TOTP code (accepted once) or a recovery code (single use). Neither step alone
// signs anyone in: the interaction finishes only after the second, with amr ["pwd", "otp"].
import { throttledAttempt, typedKey, type SignInDeps } from '../accounts/sign-in.ts';
import type { Db } from '../storage/db.ts';
import { acceptTotpStep, matchingStep, openTotpSecret, redeemRecoveryCode } from './second-factor.ts';
import { findStaffByEmail, findStaffById, staffCanSignIn, type Staff } from './staff.ts';

/** The staff member if the password is theirs and they may sign in; unknown e-mails cost the same bcrypt comparison. */
export async function checkStaffPassword(deps: SignInDeps, email: string, password: string, ip: string): Promise<{ staff?: Staff; throttled: boolean }> {
  const found = await findStaffByEmail(deps.db, email);
  const subject = found ? `staff-signin:${found.id}` : typedKey(deps, 'staff-signin-id', email);
  const usable = found && staffCanSignIn(found) ? found : undefined;
  const { result, throttled } = await throttledAttempt(deps, subject, ip, async (allowed) => {
    const { ok } = await deps.hasher.verify(password, usable?.passwordHash);
    return allowed && ok ? usable : undefined;
  });
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
  ip: string,
): Promise<{ staff?: Staff; factor?: SecondFactor; throttled: boolean }> {
  const staff = await findStaffById(deps.db, staffId);
  const usable = staff && staffCanSignIn(staff) ? staff : undefined;
  const { result, throttled } = await throttledAttempt(deps, `staff-otp:${staffId}`, ip, async (allowed) => {
    if (!allowed || !usable) return undefined;
    return verifySecondFactor(deps.db, usable, code, deps);
  });
  return result ? { staff: usable, factor: result, throttled: false } : { throttled };
}

async function verifySecondFactor(db: Db, staff: Staff, code: string, deps: SignInDeps & { keyEncryptionKey: string }): Promise<SecondFactor | undefined> {
  const typed = code.replace(/\s/g, '');
  if (/^\d{6}$/.test(typed)) {
    const step = matchingStep(openTotpSecret(staff.totpSecret!, staff.id, deps.keyEncryptionKey), typed, deps.now());
    return step !== undefined && (await acceptTotpStep(db, staff.id, step)) ? 'otp' : undefined;
  }
  return (await redeemRecoveryCode(db, staff.id, typed, deps.pepper, deps.now())) ? 'recovery_code' : undefined;
}
