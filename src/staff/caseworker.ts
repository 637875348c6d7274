// A caseworker sends a first-time password from the console: the same core function as the CLI
// (sendFirstTimePasswordAsCaseworker: same wipe setting, same sending limits), and on top a cap per
// caseworker per day (CONSOLE_SMS_PER_CASEWORKER_DAY), claimed atomically before sending.
import type { Settings } from '../../config/settings.ts';
import { sendFirstTimePasswordAsCaseworker } from '../accounts/first-time-passwords.ts';
import type { CounterStore } from '../security/counters.ts';
import type { SendGuard } from '../security/send-limits.ts';
import type { Db } from '../storage/db.ts';
import type { Staff } from './staff.ts';

const DAY = 24 * 3600_000;

export type ConsoleSendResult = Awaited<ReturnType<typeof sendFirstTimePasswordAsCaseworker>> | { sent: false; reason: 'caseworker_cap' };

export async function sendFirstTimePasswordFromConsole(
  deps: { db: Db; settings: Settings; sendGuard: SendGuard; counters: CounterStore; now: () => number },
  staff: Staff,
  memberNumber: string,
  context: { ip: string; userAgent: string },
): Promise<ConsoleSendResult> {
  const key = `console-sms:${staff.id}`;
  const now = deps.now();
  // One atomic addition decides: of a crowd of sends, no more than the cap get a number under it.
  const used = await deps.counters.increment(key, DAY, now, 1);
  if (used > deps.settings.consoleSmsPerCaseworkerDay) {
    await deps.counters.increment(key, DAY, now, -1);
    return { sent: false, reason: 'caseworker_cap' };
  }
  const result = await sendFirstTimePasswordAsCaseworker(
    deps.db,
    deps.settings,
    deps.sendGuard,
    { memberNumber, caseworker: `${staff.name} <${staff.email}>`.slice(0, 100) },
    { actor: `staff:${staff.id}`, ip: context.ip, userAgent: context.userAgent },
    now,
  );
  // Nothing sent: the send does not count against the caseworker's day.
  if (!result.sent) await deps.counters.increment(key, DAY, now, -1);
  return result;
}

export const sendsToday = (counters: CounterStore, staff: Staff, now: number) => counters.peek(`console-sms:${staff.id}`, DAY, now);
