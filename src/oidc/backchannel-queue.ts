// The durable queue of back-channel logout notifications (OIDC Back-Channel Logout 1.0). Whatever
// ends a session writes one row per app of that session that registered a back-channel logout URI,
// in the same transaction as the session end; the worker (backchannel.ts) signs the logout token
// and delivers it later, so no request waits for an app and an app that is down hears it later.
import { letRequestsRun, type Db } from '../storage/db.ts';
import type { NewRow } from '../storage/tables.ts';

/** Why a session ended; recorded with each notification and in the audit log. */
export type EndReason = 'logout' | 'account' | 'expired' | 'staff';

/** An app that cannot be reached for this long is told nothing more (the failure is audited). */
export const NOTIFY_WINDOW_MS = 24 * 3600_000;

/** What the provider keeps in a Session payload that matters here. */
export type SessionPayload = {
  uid?: string;
  accountId?: string;
  loginTs?: number;
  authorizations?: Record<string, { sid?: string; grantId?: string; persistsLogout?: boolean }>;
};

export const parseSession = (payload: string): SessionPayload => JSON.parse(payload) as SessionPayload;

/**
 * Queues a logout notification for every app of the ended sessions that has a back-channel logout
 * URI. Call it with the transaction that ends them. Returns how many were queued.
 */
export async function queueLogouts(db: Db, sessions: SessionPayload[], reason: EndReason, now: number): Promise<number> {
  const pairs = sessions.flatMap((session) =>
    session.accountId ? Object.entries(session.authorizations ?? {}).map(([clientId, { sid }]) => ({ clientId, accountId: session.accountId!, sid })) : [],
  );
  if (!pairs.length) return 0;
  const listening = new Set<string>(
    await db('clients')
      .whereIn('client_id', [...new Set(pairs.map((p) => p.clientId))])
      .whereNotNull('backchannel_logout_uri')
      .pluck('client_id'),
  );
  const rows = pairs.filter((p) => listening.has(p.clientId)).map((p) => notificationRow(p, reason, now));
  if (rows.length) await db('backchannel_logouts').insert(rows);
  return rows.length;
}

/** Queues one notification (the provider's own logout names the app and the session itself). */
export async function queueLogout(db: Db, notification: { clientId: string; accountId: string; sid?: string }, reason: EndReason, now: number): Promise<void> {
  await db('backchannel_logouts').insert(notificationRow(notification, reason, now));
}

function notificationRow(n: { clientId: string; accountId: string; sid?: string }, reason: EndReason, now: number): NewRow<'backchannel_logouts'> {
  return {
    client_id: n.clientId,
    account_id: n.accountId,
    sid: n.sid ?? null,
    reason,
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    expires_at: now + NOTIFY_WINDOW_MS,
    created_at: now,
  };
}

/**
 * The purge hook for sessions whose idle or absolute lifetime has run out: each is deleted and its
 * apps notified in one transaction. The delete is the claim: of several instances purging at once,
 * one deletes a session and only that one queues its notifications. Returns how many ended.
 */
export async function endExpiredSessions(db: Db, now: number): Promise<number> {
  const BATCH = 200;
  let ended = 0;
  for (;;) {
    const rows = await db('oidc_store').where({ model: 'Session' }).andWhere('expires_at', '<', now).limit(BATCH).select('id', 'payload');
    for (const row of rows) {
      await db.transaction(async (trx) => {
        const won = await trx('oidc_store').where({ model: 'Session', id: row.id }).andWhere('expires_at', '<', now).delete();
        if (!won) return;
        ended++;
        await queueLogouts(trx, [parseSession(row.payload)], 'expired', now);
      });
      await letRequestsRun();
    }
    if (rows.length < BATCH) return ended;
  }
}
