// The staff's second factor: TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps) and single-use
// recovery codes. The TOTP secret is stored encrypted with KEY_ENCRYPTION_KEY (AES-256-GCM, the
// staff id as associated data, as the signing keys are); recovery codes only as HMACs.
import { createHmac, randomInt, randomUUID } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { open, seal } from '../security/sealed.ts';
import type { Db } from '../storage/db.ts';

export const TOTP_PERIOD = 30;
export const RECOVERY_CODE_COUNT = 10;

/** Encrypts a TOTP secret for storage, bound to its staff member. */
export const sealTotpSecret = (base32: string, staffId: string, keyEncryptionKey: string): string =>
  seal(base32, `totp:${staffId}`, keyEncryptionKey);

export const openTotpSecret = (stored: string, staffId: string, keyEncryptionKey: string): string =>
  open(stored, `totp:${staffId}`, keyEncryptionKey);

/** A new random TOTP secret (160 bits, as RFC 4226 recommends), base32. */
export const newTotpSecret = () => new Secret({ size: 20 }).base32;

export function totpFor(base32: string, label: string, issuer: string): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD, secret: Secret.fromBase32(base32) });
}

/**
 * The time step a typed code belongs to (this step or the one before or after, for clock drift), or
 * undefined when it matches none. Says nothing about replay: see acceptTotpStep.
 */
export function matchingStep(base32: string, code: string, now: number): number | undefined {
  const token = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const delta = totpFor(base32, 'x', 'x').validate({ token, timestamp: now, window: 1 });
  return delta === null ? undefined : Math.floor(now / 1000 / TOTP_PERIOD) + delta;
}

/**
 * Records `step` as used, in one conditional UPDATE: true only for the first request with a code of
 * this step or a later one, so a code is accepted once, also under parallel requests.
 */
export async function acceptTotpStep(db: Db, staffId: string, step: number): Promise<boolean> {
  const changed = await db('staff')
    .where({ id: staffId })
    .andWhere((q) => q.whereNull('totp_last_step').orWhere('totp_last_step', '<', step))
    .update({ totp_last_step: step });
  return changed === 1;
}

// Recovery codes: 10 characters of an unambiguous alphabet (~50 bits), shown as "xxxxx-xxxxx".
const ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';
const normalizeRecoveryCode = (typed: string) => typed.normalize('NFKC').toLowerCase().replace(/[\s-]/g, '');
const hashRecoveryCode = (pepper: string, code: string) => createHmac('sha256', pepper).update(`recovery:${normalizeRecoveryCode(code)}`).digest('base64url');

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const raw = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
}

/** Replaces the staff member's recovery codes with these (stored hashed), inside the caller's transaction. */
export async function storeRecoveryCodes(trx: Db, staffId: string, codes: string[], pepper: string, now: number): Promise<void> {
  await trx('staff_recovery_codes').where({ staff_id: staffId }).delete();
  await trx('staff_recovery_codes').insert(codes.map((code) => ({ id: randomUUID(), staff_id: staffId, code_hash: hashRecoveryCode(pepper, code), created_at: now })));
}

/** Uses up one recovery code in one conditional UPDATE: true only for the request that redeemed it. */
export async function redeemRecoveryCode(db: Db, staffId: string, typed: string, pepper: string, now: number): Promise<boolean> {
  const code = normalizeRecoveryCode(typed);
  if (!/^[a-z0-9]{10}$/.test(code)) return false;
  const changed = await db('staff_recovery_codes').where({ staff_id: staffId, code_hash: hashRecoveryCode(pepper, code) }).whereNull('used_at').update({ used_at: now });
  return changed === 1;
}

export async function recoveryCodesLeft(db: Db, staffId: string): Promise<number> {
  const row = await db('staff_recovery_codes').where({ staff_id: staffId }).whereNull('used_at').count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}
