// Console sessions: the console's own cookie session, made after the console (a client of hk-idp)
// receives an ID token with amr ["pwd", "otp"]. It ends after CONSOLE idle or maximum age; every
// use is one conditional UPDATE that both checks those and moves the idle clock.
import { randomBytes } from 'node:crypto';
import { audit, type AuditContext } from '../audit/audit.ts';
import { endEverythingOf } from '../oidc/adapter.ts';
import type { Db } from '../storage/db.ts';
import { digestOf } from '../security/digest.ts';
import { findStaffById, staffActor, staffCanSignIn, type Staff } from './staff.ts';

export const CONSOLE_IDLE_MS = 30 * 60_000;
export const CONSOLE_MAX_MS = 8 * 3600_000;

/** The amr a console session requires: a password and a one-time code (TOTP or recovery code). */
const hasBothFactors = (amr: unknown) => Array.isArray(amr) && amr.includes('pwd') && amr.includes('otp');

/**
 * Starts a session for the signed-in staff member the console's ID token names; returns the cookie
 * value (stored only hashed). Undefined, and the refusal audited with its reason, when the sign-in
 * failed (no claims), lacked a factor, or the staff member may not sign in.
 */
export async function startConsoleSession(db: Db, claims: { sub: string; amr?: unknown } | undefined, context: AuditContext, now: number): Promise<string | undefined> {
  const refuse = async (reason: 'callback' | 'amr' | 'staff') => {
    await audit(db, { event: 'console.session_refused', accountId: claims?.sub, ...context, detail: { reason } }, now);
    return undefined;
  };
  if (!claims) return refuse('callback');
  if (!hasBothFactors(claims.amr)) return refuse('amr');
  const staff = await findStaffById(db, claims.sub);
  if (!staff || !staffCanSignIn(staff)) return refuse('staff');
  const id = randomBytes(32).toString('base64url');
  await db('console_sessions').insert({ id_hash: digestOf(id), staff_id: staff.id, created_at: now, last_seen_at: now });
  await audit(db, { event: 'console.session_started', accountId: staff.id, ...context, actor: staffActor(staff.id) }, now);
  return id;
}

/**
 * The staff member of a live session, the session's key (for CSRF tokens) included; moves the idle
 * clock. Undefined for an unknown, ended, idle or too old session, or a staff member who may no
 * longer sign in (disabled, reset).
 */
export async function useConsoleSession(db: Db, cookie: string | undefined, now: number): Promise<{ staff: Staff; key: string } | undefined> {
  if (!cookie || !/^[\w-]{43}$/.test(cookie)) return undefined;
  const key = digestOf(cookie);
  const live = await db('console_sessions')
    .where({ id_hash: key })
    .whereNull('ended_at')
    .where('last_seen_at', '>', now - CONSOLE_IDLE_MS)
    .where('created_at', '>', now - CONSOLE_MAX_MS)
    .update({ last_seen_at: now });
  if (!live) return undefined;
  const row = await db('console_sessions').where({ id_hash: key }).first('staff_id');
  const staff = row ? await findStaffById(db, row.staff_id) : undefined;
  return staff && staffCanSignIn(staff) ? { staff, key } : undefined;
}

/**
 * Signing out: ends this console session, and the staff member's sessions at hk-idp itself (they only
 * ever served a console sign-in, which always asks again, so no other console session depends on them).
 */
export async function endConsoleSession(db: Db, cookie: string | undefined, staffId: string, context: AuditContext, now: number): Promise<void> {
  if (cookie && /^[\w-]{43}$/.test(cookie)) await db('console_sessions').where({ id_hash: digestOf(cookie) }).whereNull('ended_at').update({ ended_at: now });
  await endEverythingOf(db, staffId, now);
  await audit(db, { event: 'console.signed_out', accountId: staffId, ...context, actor: staffActor(staffId) }, now);
}
