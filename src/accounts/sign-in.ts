// Password sign-in. One path for every outcome: an unknown identifier, an inactive account, a wiped
// password and a throttled account all cost one bcrypt comparison, like a wrong password, and all
// answer the same, so neither timing nor message tells them apart.
import { createHmac } from 'node:crypto';
import type { Db } from '../storage/db.ts';
import type { CounterStore, LockPolicy } from '../security/counters.ts';
import { canSignIn, setPasswordHash, type Account } from './accounts.ts';
import type { PasswordHasher } from './passwords.ts';

export type SignInDeps = {
  db: Db;
  hasher: PasswordHasher;
  counters: CounterStore;
  now: () => number;
  /** Per account (or per unknown identifier): free failures, then a growing wait (NIST 800-63B §3.2.2). */
  lock: LockPolicy;
  /** Failed sign-ins per hour from one IP across all accounts (password spraying). */
  ipFailuresPerHour: number;
  pepper: string;
};

export type SignInOutcome = { account?: Account; throttled: boolean };

const HOUR = 3600_000;

/** The account if `password` is its password and it may sign in; upgrades an old hash on success. */
export async function checkPassword(
  db: Db,
  hasher: PasswordHasher,
  account: Account | undefined,
  password: string,
): Promise<Account | undefined> {
  const usable = account && canSignIn(account) ? account : undefined;
  const { ok, needsRehash } = await hasher.verify(password, usable?.passwordHash);
  if (!ok || !usable) return undefined;
  if (needsRehash) await setPasswordHash(db, usable.id, await hasher.hash(password));
  return usable;
}

/**
 * A throttled password check. Failures are counted per account — per typed identifier when there is
 * no such account, so unknown ones are throttled alike — and per IP. The attempt is claimed (and
 * counted) before the password is compared, so parallel guesses cannot slip past the limit.
 */
export async function signIn(
  deps: SignInDeps,
  account: Account | undefined,
  attempt: { identifier: string; password: string; ip: string },
): Promise<SignInOutcome> {
  const now = deps.now();
  const subject = account
    ? `signin:${account.id}`
    : `signin-id:${createHmac('sha256', deps.pepper).update(attempt.identifier.normalize('NFKC').trim().toLowerCase()).digest('base64url')}`;
  const ipKey = `signin-ip:${attempt.ip}`;
  const ipBlocked = (await deps.counters.peek(ipKey, HOUR, now)) >= deps.ipFailuresPerHour;
  const claim = ipBlocked ? { allowed: false } : await deps.counters.claimAttempt(subject, now, deps.lock);
  // The comparison runs even when throttled: the answer must take the same time.
  const verified = await checkPassword(deps.db, deps.hasher, account, attempt.password);
  if (claim.allowed && verified) {
    await deps.counters.clearFailures(subject);
    return { account: verified, throttled: false };
  }
  await deps.counters.increment(ipKey, HOUR, now);
  return { throttled: !claim.allowed };
}
