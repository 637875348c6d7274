// What the staff console leaves behind and no one needs any more: ended invitations, old console
// sessions and the daily send counts of past days. One function, so the service's purge calls one thing.
import type { Db } from '../storage/db.ts';
import { CONSOLE_MAX_MS } from './sessions.ts';

const DAY = 24 * 3600_000;

export async function purgeStaffConsole(db: Db, now: number): Promise<number> {
  const invitations = await db('staff_invitations').where('expires_at', '<', now - 30 * DAY).delete();
  const sessions = await db('console_sessions').where('created_at', '<', now - CONSOLE_MAX_MS - DAY).delete();
  // Days are 'YYYY-MM-DD' (Oslo); anything two days back is over everywhere.
  const counts = await db('console_send_counts').where('day', '<', new Date(now - 2 * DAY).toISOString().slice(0, 10)).delete();
  return invitations + sessions + counts;
}
