// Password sign-in. One path for every outcome: an unknown identifier, an inactive account, a wiped
// password and a throttled account all cost one bcrypt comparison, like a wrong password, and all
// answer the same, so neither timing nor message tells them apart.
import { createHmac } from 'node:crypto';
import type { Db } from '../storage/db.ts';
import type { CounterStore, LockPolicy } from '../security/counters.ts';
import { limitKey } from '../security/ip.ts';
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
  options: { rehash: boolean } = { rehash: true },
): Promise<Account | undefined> {
  const usable = account && canSignIn(account) ? account : undefined;
  const { ok, needsRehash } = await hasher.verify(password, usable?.passwordHash);
  if (!ok || !usable) return undefined;
  if (needsRehash && options.rehash) await setPasswordHash(db, usable.id, await hasher.hash(password));
  return usable;
}

/** A counter key for something a person typed, without storing what they typed. */
export const typedKey = (deps: Pick<SignInDeps, 'pepper'>, prefix: string, typed: string) =>
  `${prefix}:${createHmac('sha256', deps.pepper).update(typed.normalize('NFKC').trim().toLowerCase()).digest('base64url')}`;

/**
 * Any guess at a secret (password, first-time password), throttled. Failures are counted per
 * `subject` and per IP, and only once the guess is known to fail, so a crowd of right passwords for
 * one account never throttles itself. The claim at the start only reads whether the subject or the IP
 * is locked; the settling write after the check evaluates the lock again, atomically, and a right
 * secret wins only if nothing is locked by then — so of a crowd of parallel wrong guesses no more
 * count than one at a time would. The check runs even when throttled, and every outcome makes the
 * same two writes, so the answer takes the same time either way; `check` is told whether the attempt
 * is allowed, and must have no effect when not. (Its effects for a right secret happen before the
 * settling write: a right secret refused there has had them, which only a holder of the secret can cause.)
 */
export async function throttledAttempt<T>(
  deps: SignInDeps,
  subject: string,
  ip: string,
  check: (allowed: boolean) => Promise<T | undefined>,
): Promise<{ result?: T; throttled: boolean }> {
  const now = deps.now();
  const ipKey = `signin-ip:${limitKey(ip)}`;
  const [ipFailures, claim] = await Promise.all([deps.counters.peek(ipKey, HOUR, now), deps.counters.claimAttempt(subject, now, deps.lock)]);
  const allowed = claim.allowed && ipFailures < deps.ipFailuresPerHour;
  const result = await check(allowed);
  const right = allowed && result !== undefined;
  // The IP's count grows by 0 on a right secret: the same statements whatever the outcome (timing).
  const [settled, ipTotal] = await Promise.all([
    deps.counters.settleAttempt(subject, now, deps.lock, right),
    deps.counters.increment(ipKey, HOUR, now, right ? 0 : 1),
  ]);
  if (right && settled.won && ipTotal < deps.ipFailuresPerHour) return { result, throttled: false };
  return { throttled: !allowed || right };
}

/**
 * A throttled password sign-in, counted per account — per typed identifier when there is no such
 * account, so unknown ones are throttled alike.
 */
export async function signIn(
  deps: SignInDeps,
  account: Account | undefined,
  attempt: { identifier: string; password: string; ip: string },
): Promise<SignInOutcome> {
  const subject = account ? `signin:${account.id}` : typedKey(deps, 'signin-id', attempt.identifier);
  // A throttled attempt still costs the comparison (timing), but never upgrades a stored hash.
  const { result, throttled } = await throttledAttempt(deps, subject, attempt.ip, async (allowed) => {
    const verified = await checkPassword(deps.db, deps.hasher, account, attempt.password, { rehash: allowed });
    return allowed ? verified : undefined;
  });
  return { account: result, throttled };
}
