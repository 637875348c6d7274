// One-time codes: short numeric secrets sent by SMS or e-mail to prove control of an address.
// A code is bound to an account, a purpose and the browser flow that asked for it; the newest code
// cancels older ones; it dies after a few wrong entries (counted per flow and purpose, whatever the
// account: a new code in the same flow keeps the count), when it expires, or once used. Only an HMAC
// of the code is stored, compared in constant time, and every verification is settled by one
// conditional UPDATE so parallel guesses cannot slip past the limit.
import { createHmac, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from '../storage/db.ts';

export const CODE_DIGITS = 6;
/** Wrong entries a code survives; the next state is dead, even for the right code (NIST 63B §3.1.3.2). */
export const MAX_WRONG_ATTEMPTS = 5;

/** `spent`: the flow has used up its wrong entries for this purpose, so the code is dead at birth (send nothing). */
export type IssuedCode = { id: string; code: string; expiresAt: number; spent: boolean };

/** The outcome of an entry; `accountId` (null for a code bound to no one) is for the audit log. */
export type CodeCheck =
  | { outcome: 'ok'; accountId: string }
  | { outcome: 'wrong'; attemptsLeft: number; accountId: string | null }
  | { outcome: 'dead'; reason: 'none' | 'used' | 'expired' | 'attempts'; accountId: string | null };

/** Six digits from the CSPRNG, leading zeros kept. */
export function generateCode(): string {
  return String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');
}

/** What a person typed, as a code: spaces and dashes ignored; undefined when it cannot be one. */
export function normalizeCode(raw: string): string | undefined {
  const code = raw.replace(/[\s-]/g, '');
  return new RegExp(`^\\d{${CODE_DIGITS}}$`).test(code) ? code : undefined;
}

// The row id is part of the MAC, so equal codes never give equal hashes. The key is derived from the
// server secret for this use only.
function codeHash(secret: string, id: string, code: string): string {
  const key = createHmac('sha256', secret).update('hk-idp/one-time-code').digest();
  return createHmac('sha256', key).update(`${id}:${code}`).digest('base64url');
}

const live = (query: Knex.QueryBuilder, now: number) =>
  query.whereNull('used_at').whereNull('cancelled_at').where('expires_at', '>', now).where('attempts', '<', MAX_WRONG_ATTEMPTS);

const addressKey = (secret: string, purpose: string, address: string) =>
  createHmac('sha256', secret).update(`hk-idp/code-address:${purpose}:${address}`).digest('base64url');

/**
 * Issues a code and cancels the older live ones of the same flow, of the same address and purpose
 * (known to anyone or not, so what gets cancelled tells nothing), and of the same account and purpose.
 * Call it in the transaction that also enqueues the message carrying the code. `accountId` null
 * issues a code no one can use (for an address that belongs to no one), so both cases do the same work.
 */
export async function issueOneTimeCode(
  trx: Db,
  secret: string,
  input: { accountId: string | null; purpose: string; flowId: string; address: string; ttlMs: number },
  now: number,
): Promise<IssuedCode> {
  const address = addressKey(secret, input.purpose, input.address);
  await trx('one_time_codes')
    .whereNull('used_at')
    .whereNull('cancelled_at')
    .where((q) => {
      q.where({ flow_id: input.flowId }).orWhere({ address_key: address });
      if (input.accountId) q.orWhere({ account_id: input.accountId, purpose: input.purpose });
    })
    .update({ cancelled_at: now });
  // Wrong entries count per flow and purpose, not per code (NIST 800-63B §3.1.3.2): a new code starts
  // with the wrong entries of this flow's unused codes, so asking again gives no new tries. Whatever the
  // account, even none: a code for an unknown address must count exactly like one for a registered one.
  const spent = await trx('one_time_codes').where({ flow_id: input.flowId, purpose: input.purpose }).whereNull('used_at').max({ attempts: 'attempts' }).first();
  const id = randomUUID();
  const code = generateCode();
  const expiresAt = now + input.ttlMs;
  const attempts = Math.min(MAX_WRONG_ATTEMPTS, Number(spent?.attempts ?? 0));
  await trx('one_time_codes').insert({
    id,
    account_id: input.accountId,
    purpose: input.purpose,
    flow_id: input.flowId,
    address_key: address,
    code_hash: codeHash(secret, id, code),
    attempts,
    created_at: now,
    expires_at: expiresAt,
  });
  return { id, code, expiresAt, spent: attempts >= MAX_WRONG_ATTEMPTS };
}

/**
 * Checks `code` against the live code of this flow and purpose. Right: the code is used up. Wrong:
 * one attempt is counted. Both changes are one conditional UPDATE that also re-checks the code is
 * still live, so of many parallel entries at most MAX_WRONG_ATTEMPTS wrong ones count and a right one
 * after them is refused. `code` must already be normalised (see normalizeCode).
 */
export async function verifyOneTimeCode(
  db: Db,
  secret: string,
  input: { purpose: string; flowId: string; code: string },
  now: number,
): Promise<CodeCheck> {
  const row = await db('one_time_codes')
    .where({ flow_id: input.flowId, purpose: input.purpose })
    .whereNull('cancelled_at')
    .orderBy('created_at', 'desc')
    .first();
  if (!row) return { outcome: 'dead', reason: 'none', accountId: null };
  const accountId: string | null = row.account_id;
  if (row.used_at !== null) return { outcome: 'dead', reason: 'used', accountId };
  if (Number(row.expires_at) <= now) return { outcome: 'dead', reason: 'expired', accountId };
  if (row.attempts >= MAX_WRONG_ATTEMPTS) return { outcome: 'dead', reason: 'attempts', accountId };

  const expected = Buffer.from(row.code_hash);
  const actual = Buffer.from(codeHash(secret, row.id, input.code));
  // A code bound to no account never matches.
  const right = expected.length === actual.length && timingSafeEqual(expected, actual) && accountId !== null;

  const changed = await live(db('one_time_codes').where({ id: row.id }), now).update(
    right ? { used_at: now } : { attempts: db.raw('attempts + 1') },
  );
  // Nothing changed: a parallel entry used the code up or spent its last attempt first.
  if (!changed) return { outcome: 'dead', reason: 'attempts', accountId };
  if (right) return { outcome: 'ok', accountId: accountId! };
  const after = await db('one_time_codes').where({ id: row.id }).first('attempts');
  const attemptsLeft = Math.max(0, MAX_WRONG_ATTEMPTS - Number(after!.attempts));
  return attemptsLeft > 0 ? { outcome: 'wrong', attemptsLeft, accountId } : { outcome: 'dead', reason: 'attempts', accountId };
}

/** Cancels every live code of an account (e.g. when it is disabled). */
export async function cancelOneTimeCodes(db: Db, accountId: string, now: number): Promise<number> {
  return db('one_time_codes').where({ account_id: accountId }).whereNull('used_at').whereNull('cancelled_at').update({ cancelled_at: now });
}
