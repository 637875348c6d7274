// Back-channel logout delivery. oidc-provider signs the logout token (its Client model's own
// backchannelLogout: iss, aud, iat, jti, sub, events, sid when the app requires it, no nonce) and
// POSTs it; but on its own it does so inside the logout request, once, with no retry. So the
// provider's call is turned into a queued notification (backchannel-queue.ts), and this worker makes
// the provider's call later through the outbox's queue loop (claimed by one instance, retried with
// its back-off on network errors and 5xx), every attempt audited.
import type Provider from 'oidc-provider';
import { audit } from '../audit/audit.ts';
import { findClientMetadata, isLoopbackHost } from '../clients/clients.ts';
import { queueWorker, type Claimed, type OutboxWorker } from '../delivery/outbox.ts';
import type { Db } from '../storage/db.ts';
import type { BackchannelLogoutRow } from '../storage/tables.ts';
import { deleteGrants, rowsOfAccount } from './adapter.ts';
import { parseSession, queueLogout, queueLogouts, type EndReason } from './backchannel-queue.ts';

/** The provider's own signing-and-POSTing of one logout token, called with the client as `this`. */
export type DeliverLogout = (this: object, sub: string, sid?: string) => Promise<void>;

type ClientPrototype = {
  backchannelLogout: DeliverLogout;
  includeSid(): boolean;
};

/**
 * Makes the provider's logout durable: where it would POST a logout token at once (its end_session
 * action), a notification is queued instead. Returns the provider's own delivery for the worker.
 * Also puts `sid` in every ID token, so any app can match a logout token (and hk-idp an
 * id_token_hint) to its session.
 */
export function queueProviderLogouts(provider: Provider, db: Db, now: () => number): DeliverLogout {
  const prototype = provider.Client.prototype as unknown as ClientPrototype;
  const deliver = prototype.backchannelLogout;
  prototype.backchannelLogout = async function queued(this: object, sub: string, sid?: string) {
    await queueLogout(db, { clientId: (this as { clientId: string }).clientId, accountId: sub, sid }, 'logout', now());
  };
  prototype.includeSid = () => true;
  return deliver;
}

/**
 * The provider's `fetch` setting. Its default dispatcher refuses private, loopback and other
 * special-use addresses (SSRF); with BACKCHANNEL_ALLOW_LOOPBACK an app on a literal loopback host
 * may be reached (tests, an app on the same machine). Every other address keeps the guard.
 */
export function outgoingFetch(allowLoopback: boolean) {
  return (input: string | URL | Request, init: RequestInit & { dispatcher?: unknown } = {}) => {
    const url = new URL(input instanceof Request ? input.url : input);
    if (allowLoopback && isLoopbackHost(url.hostname)) {
      const { dispatcher: _guard, ...rest } = init;
      return globalThis.fetch(input, rest);
    }
    return globalThis.fetch(input, init);
  };
}

type Outcome = { failure: 'temporary' | 'permanent'; reason: string };

/** Network errors, timeouts, 5xx, 408 and 429 are worth retrying; any other answer is final. */
function classify(error: unknown): Outcome {
  const e = error as { response?: { status?: number }; message?: string; name?: string; cause?: { message?: string } };
  const status = e?.response?.status;
  const reason = `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}${e?.cause?.message ? ` (${e.cause.message})` : ''}`.replace(/\s+/g, ' ').slice(0, 300);
  if (typeof status === 'number') {
    return { failure: status >= 500 || status === 408 || status === 429 ? 'temporary' : 'permanent', reason };
  }
  // The SSRF guard refused the address: retrying will not change that.
  if (/special-use IP address/.test(reason)) return { failure: 'permanent', reason };
  return { failure: 'temporary', reason };
}

/** deliverDue() delivers every notification due now (tests call it instead of waiting); start/stop the timer. */
export type BackchannelWorker = OutboxWorker;

export function createBackchannelWorker(deps: {
  db: Db;
  provider: Provider;
  deliver: DeliverLogout;
  now: () => number;
  log: (message: string, error?: unknown) => void;
}): BackchannelWorker {
  const { db, provider, deliver, now, log } = deps;

  /** Tries one claimed notification: true when delivered by this call, false when tried or closed. */
  async function deliverOne(claim: Claimed<BackchannelLogoutRow>): Promise<boolean> {
    const { id, row, attempt, finish } = claim;
    const by = { accountId: row.account_id, clientId: row.client_id, actor: 'backchannel' };
    const facts = { notificationId: id, reason: row.reason };

    if (Number(row.expires_at) <= now()) {
      if (await finish('expired', { attempts: attempt - 1 })) await audit(db, { event: 'backchannel_logout.expired', ...by, detail: { ...facts, attempts: attempt - 1 } }, now());
      return false;
    }

    // The registration is read as it is now (the provider's view of a client may be a few seconds old,
    // CLIENT_CACHE_MS): an app removed meanwhile is not called, nor an address it has just left.
    const registered = await findClientMetadata(db, row.client_id);
    const client = registered?.backchannel_logout_uri
      ? ((await provider.Client.find(row.client_id).catch(() => undefined)) as { backchannelLogoutUri?: string } | undefined)
      : undefined;
    let outcome: Outcome | undefined;
    if (!client?.backchannelLogoutUri) {
      outcome = { failure: 'permanent', reason: 'the app is removed or no longer has a back-channel logout URI' };
    } else if (client.backchannelLogoutUri !== registered?.backchannel_logout_uri) {
      // The provider's view is older than the registration: not the old address, the new one, later.
      outcome = { failure: 'temporary', reason: 'the app changed its back-channel logout URI moments ago' };
    } else {
      try {
        await deliver.call(client, row.account_id, row.sid ?? undefined);
      } catch (error) {
        outcome = classify(error);
      }
    }

    if (!outcome) {
      if (await finish('sent', { sent_at: now(), last_error: null })) await audit(db, { event: 'backchannel_logout.sent', ...by, detail: { ...facts, attempts: attempt } }, now());
      return true;
    }
    log(`backchannel logout ${id} to ${row.client_id}, attempt ${attempt}: ${outcome.failure} failure: ${outcome.reason}`);
    if (outcome.failure === 'temporary') {
      const next = await claim.retryLater(outcome.reason);
      await audit(db, { event: 'backchannel_logout.attempt', ...by, detail: { ...facts, attempt, outcome: 'temporary', error: outcome.reason, retryAt: next } }, now());
      return false;
    }
    if (await finish('failed', { last_error: outcome.reason })) await audit(db, { event: 'backchannel_logout.failed', ...by, detail: { ...facts, attempts: attempt, error: outcome.reason } }, now());
    return false;
  }

  return queueWorker({ db, table: 'backchannel_logouts', now, log, attempt: deliverOne });
}

export type SessionSummary = { uid: string; accountId: string; signedInAt: number | null; expiresAt: number | null; clients: string[] };

/** The live sessions of one account (for a staff page: which devices, since when, which apps). */
export async function listSessions(db: Db, accountId: string, now: number): Promise<SessionSummary[]> {
  const rows = await rowsOfAccount(db, 'Session', accountId)
    .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>=', now))
    .select('payload', 'expires_at');
  return rows.map((row: { payload: string; expires_at: unknown }) => {
    const session = parseSession(row.payload);
    return {
      uid: session.uid!,
      accountId,
      signedInAt: session.loginTs ? session.loginTs * 1000 : null,
      expiresAt: row.expires_at == null ? null : Number(row.expires_at),
      clients: Object.keys(session.authorizations ?? {}),
    };
  });
}

/**
 * Ends one session (by its uid, which is not the cookie value): the session is deleted, the grants
 * and tokens made in it are revoked, and its apps are notified, all in one transaction. The delete is
 * the claim, so ending a session twice (two staff members, two clicks) notifies once. With
 * `keepOffline` grants the app holds for offline use survive, as in the provider's own logout.
 * This is what a staff member's "end this session" calls, and the first-party logout without a question.
 */
export async function endSession(
  db: Db,
  sessionUid: string,
  options: { reason: EndReason; actor?: string | null; keepOffline?: boolean; clientId?: string; ip?: string; userAgent?: string },
  now: number,
): Promise<boolean> {
  if (typeof sessionUid !== 'string' || sessionUid.length > 255) return false;
  return db.transaction(async (trx) => {
    const row = await trx('oidc_store').where({ model: 'Session', uid: sessionUid }).first('id', 'payload', 'account_id');
    if (!row) return false;
    const won = await trx('oidc_store').where({ model: 'Session', id: row.id }).delete();
    if (!won) return false;
    const session = parseSession(row.payload);
    const authorizations = Object.values(session.authorizations ?? {});
    const grantIds = authorizations.filter((a) => a.grantId && !(options.keepOffline && a.persistsLogout)).map((a) => a.grantId!);
    await deleteGrants(trx, grantIds);
    const notified = await queueLogouts(trx, [session], options.reason, now);
    await audit(
      trx,
      {
        event: 'session.ended',
        accountId: row.account_id,
        actor: options.actor ?? null,
        clientId: options.clientId ?? null,
        ip: options.ip ?? null,
        userAgent: options.userAgent ?? null,
        detail: { reason: options.reason, sessionUid, clients: Object.keys(session.authorizations ?? {}), notified },
      },
      now,
    );
    return true;
  });
}
