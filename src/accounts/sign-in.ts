// Password sign-in. One path for every outcome: an unknown identifier, an inactive account, a wiped
// password and a throttled account all cost one bcrypt comparison, like a wrong password, and all
// answer the same, so neither timing nor message tells them apart.
import { createHmac } from 'node:crypto';
import type { AccountKind } from '../../config/vocabulary.ts';
import { audit, type AuditContext } from '../audit/audit.ts';
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

/** One thing a typed secret may be: the failure-counted key it is throttled on, and its check (see throttledGuess). */
export type Guess<T> = { subject: string; check: (allowed: boolean) => Promise<T | undefined> };

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
  return throttledGuess(deps, ip, [{ subject, check }]);
}

/**
 * One typed secret that may be one of several things (a password or a first-time password), as one
 * attempt: each guess is claimed and checked on its own subject (always all of them, in order, so a
 * wrong secret costs the same work whatever exists), but the IP counts one failure at most. The first
 * right guess wins; a later guess is then checked with `allowed` false (no effect), and only the
 * winner's subject is settled, so a right secret counts no failure anywhere. A wrong secret counts one
 * failure on every subject and one on the IP.
 */
export async function throttledGuess<T>(deps: SignInDeps, ip: string, guesses: Guess<T>[]): Promise<{ result?: T; throttled: boolean }> {
  const now = deps.now();
  const ipKey = `signin-ip:${limitKey(ip)}`;
  const [ipFailures, ...claims] = await Promise.all([deps.counters.peek(ipKey, HOUR, now), ...guesses.map((guess) => deps.counters.claimAttempt(guess.subject, now, deps.lock))]);
  const allowed = claims.map((claim) => claim.allowed && ipFailures < deps.ipFailuresPerHour);
  let winner: { index: number; result: T } | undefined;
  for (const [index, guess] of guesses.entries()) {
    const result = await guess.check(allowed[index]! && !winner);
    if (allowed[index] && !winner && result !== undefined) winner = { index, result };
  }
  // The IP's count grows by 0 on a right secret: the same statements whatever the outcome (timing).
  const [ipTotal, ...settled] = await Promise.all([
    deps.counters.increment(ipKey, HOUR, now, winner ? 0 : 1),
    ...guesses.flatMap((guess, index) =>
      !winner ? [deps.counters.settleAttempt(guess.subject, now, deps.lock, false)] : index === winner.index ? [deps.counters.settleAttempt(guess.subject, now, deps.lock, true)] : [],
    ),
  ]);
  if (winner && settled[0]!.won && ipTotal < deps.ipFailuresPerHour) return { result: winner.result, throttled: false };
  return { throttled: Boolean(winner) || allowed.some((ok) => !ok) };
}

const mapDefined = <A, B>(value: A | undefined, map: (value: A) => B): B | undefined => (value === undefined ? undefined : map(value));

/**
 * A throttled password sign-in, counted per account — per typed identifier when there is no such
 * account, so unknown ones are throttled alike — and audited (`sign_in.succeeded`, `.failed` or
 * `.throttled`, with the account the identifier named). A member may type a first-time password in
 * the same field: `firstTime` is that guess, part of the same attempt (see throttledGuess); when it
 * wins, its result is returned as `firstLogin` and its own flow audits what follows.
 */
export async function signIn<F = never>(
  deps: SignInDeps,
  account: Account | undefined,
  attempt: { kind: AccountKind; identifier: string; password: string; ip: string },
  context: AuditContext,
  firstTime?: Guess<F>,
): Promise<SignInOutcome & { firstLogin?: F }> {
  const byPassword = passwordGuess(deps, account, attempt);
  const guesses: Guess<{ account?: Account; firstLogin?: F }>[] = [{ subject: byPassword.subject, check: async (allowed) => mapDefined(await byPassword.check(allowed), (account) => ({ account })) }];
  if (firstTime) guesses.push({ subject: firstTime.subject, check: async (allowed) => mapDefined(await firstTime.check(allowed), (firstLogin) => ({ firstLogin })) });
  const { result, throttled } = await throttledGuess(deps, attempt.ip, guesses);
  if (result?.firstLogin) return { firstLogin: result.firstLogin, throttled };
  const signedIn = result?.account;
  const detail = { kind: attempt.kind };
  await audit(
    deps.db,
    signedIn
      ? { event: 'sign_in.succeeded', accountId: signedIn.id, ...context, detail }
      : { event: throttled ? 'sign_in.throttled' : 'sign_in.failed', accountId: account?.id, ...context, detail },
    deps.now(),
  );
  return { account: signedIn, throttled };
}

/** The password half of a sign-in, for throttledGuess: counted per account, or per typed identifier when there is none. */
function passwordGuess(deps: SignInDeps, account: Account | undefined, attempt: { identifier: string; password: string }): Guess<Account> {
  return {
    subject: account ? `signin:${account.id}` : typedKey(deps, 'signin-id', attempt.identifier),
    // A throttled attempt still costs the comparison (timing), but never upgrades a stored hash.
    check: async (allowed) => {
      const verified = await checkPassword(deps.db, deps.hasher, account, attempt.password, { rehash: allowed });
      return allowed ? verified : undefined;
    },
  };
}
