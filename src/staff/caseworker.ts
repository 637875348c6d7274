// A caseworker sends a first-time password from the console: the same core function as the CLI
// (sendFirstTimePasswordAsCaseworker: same wipe setting, same sending limits), and on top a cap per
// caseworker per Norwegian calendar day (CONSOLE_SMS_PER_CASEWORKER_DAY), claimed atomically before sending.
// And signs a member out everywhere (the core's endSession for each live session). Both are audited
// here with the caseworker as actor.
import type { Settings } from '../../config/settings.ts';
import { findMemberByNumber } from '../accounts/accounts.ts';
import { audit } from '../audit/audit.ts';
import { sendFirstTimePasswordAsCaseworker } from '../accounts/first-time-passwords.ts';
import { endSession, listSessions } from '../oidc/backchannel.ts';
import { endEverythingOf } from '../oidc/adapter.ts';
import type { SendGuard } from '../security/send-limits.ts';
import type { Db } from '../storage/db.ts';
import { staffActor, type Staff } from './staff.ts';

/** The day a send counts on: the calendar day in Norway, so "today" means what the caseworker thinks. */
const osloDay = (now: number) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Oslo' }).format(new Date(now));

/**
 * Claims one of today's sends in one conditional UPDATE (the row made first if missing): true only
 * while the count is under the cap, so of a crowd of sends no more than the cap win.
 */
async function claimDailySend(db: Db, staffId: string, day: string, cap: number): Promise<boolean> {
  await db('console_send_counts').insert({ staff_id: staffId, day, sent: 0 }).onConflict(['staff_id', 'day']).ignore();
  const claimed = await db('console_send_counts').where({ staff_id: staffId, day }).where('sent', '<', cap).increment('sent', 1);
  return claimed === 1;
}

export type ConsoleSendResult = Awaited<ReturnType<typeof sendFirstTimePasswordAsCaseworker>> | { sent: false; reason: 'caseworker_cap' };

export async function sendFirstTimePasswordFromConsole(
  deps: { db: Db; settings: Settings; sendGuard: SendGuard; now: () => number },
  staff: Staff,
  memberNumber: string,
  context: { ip: string; userAgent: string },
): Promise<ConsoleSendResult> {
  const now = deps.now();
  const day = osloDay(now);
  if (!(await claimDailySend(deps.db, staff.id, day, deps.settings.consoleSmsPerCaseworkerDay))) {
    const member = await findMemberByNumber(deps.db, memberNumber);
    await audit(deps.db, { event: 'console.send_capped', accountId: member?.id ?? null, actor: staffActor(staff.id), ...context }, now);
    return { sent: false, reason: 'caseworker_cap' };
  }
  const result = await sendFirstTimePasswordAsCaseworker(
    deps.db,
    deps.settings,
    deps.sendGuard,
    { memberNumber, caseworker: `${staff.name} <${staff.email}>`.slice(0, 100) },
    { actor: staffActor(staff.id), ip: context.ip, userAgent: context.userAgent },
    now,
  );
  // Nothing sent: the send does not count against the caseworker's day.
  if (!result.sent) await deps.db('console_send_counts').where({ staff_id: staff.id, day }).where('sent', '>', 0).decrement('sent', 1);
  return result;
}

/**
 * Ends every live session of the member, each through the core's endSession (reason 'staff', the
 * caseworker as actor): the session goes, the grants made in it are revoked and every app of it that
 * listens gets a back-channel logout; then every remaining grant and token of the member (offline ones). Returns how many sessions this call ended (a session ended
 * meanwhile by someone else is not counted twice).
 */
export async function signMemberOutEverywhere(
  deps: { db: Db; now: () => number },
  staff: Staff,
  accountId: string,
  context: { ip: string; userAgent: string },
): Promise<number> {
  const now = deps.now();
  let ended = 0;
  for (const session of await listSessions(deps.db, accountId, now)) {
    if (await endSession(deps.db, session.uid, { reason: 'staff', actor: staffActor(staff.id), ip: context.ip, userAgent: context.userAgent }, now)) ended++;
  }
  // Then everything left, as any end of an account does: a session opened meanwhile (its apps told
  // too), grants that outlive their session (offline_access) and every token — "everywhere".
  await endEverythingOf(deps.db, accountId, now, 'staff');
  // Each ended session has its own `session.ended`; this records the action, also when nothing was live.
  await audit(deps.db, { event: 'console.member_signed_out', accountId, actor: staffActor(staff.id), ...context, detail: { sessions: ended } }, now);
  return ended;
}
