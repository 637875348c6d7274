// "Many are signing in right now": when password hashing is at capacity a sign-in is answered at once
// with 503 and Retry-After instead of waiting in a growing queue. The attempt is refused before it is
// counted against the account, so a member is never throttled for being turned away. The page itself
// is the error handler's (HashPoolBusy, interactions/errors/index.ts).
import type { Context, Next } from 'koa';
import type { HashPool } from '../../src/accounts/hash-pool.ts';
import { HashPoolBusy } from '../../src/errors.ts';

/**
 * The form posts of a sign-in that hash a password (and so need a hash slot): the sign-ins (member,
 * business, staff) and the new passwords (first login, business activation). Admitted before anything
 * is counted; the console's enrolment and the invitation page, rare, are shed by the pool's queue.
 */
const SIGN_IN = /^\/interaction\/[^/]+\/(login|business\/login|staff\/login|credentials|business\/password)$/;

/**
 * Admits a sign-in only while the hash pool has room for it, else refuses it at once (HashPoolBusy,
 * answered by the busy page like a hash refused further down in another flow). The form is read
 * first (`readForm`, the pages' one form reader): a sign-in takes its place only once all of it has
 * arrived, so clients that send their bodies slowly cannot hold the places and shut everyone out.
 */
export function shedWhenBusy(pool: Pick<HashPool, 'admit' | 'retryAfterSeconds'>, readForm: (ctx: Context, next: Next) => Promise<void>) {
  return async (ctx: Context, next: Next) => {
    if (ctx.method !== 'POST' || !SIGN_IN.test(ctx.path)) return next();
    await readForm(ctx, async () => {
      const release = pool.admit();
      if (!release) throw new HashPoolBusy(pool.retryAfterSeconds());
      try {
        await next();
      } finally {
        release();
      }
    });
  };
}
