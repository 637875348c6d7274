// "Aktiver brukerkonto" / "Glemt passord" for business users: a one-time code to the registered
// e-mail or mobile, then a new password. Asking for a code does the same work whether or not the
// address belongs to anyone (a code row is stored either way); only the message differs, and it is
// sent later by the outbox worker, so neither the answer nor its timing tells.
import type { Db } from '../storage/db.ts';
import type { Channel } from '../delivery/delivery.ts';
import { enqueue } from '../delivery/outbox.ts';
import { issueOneTimeCode, verifyOneTimeCode, type CodeCheck } from '../codes/one-time-codes.ts';
import { findAccountById, type Account, type Language } from './accounts.ts';
import { findBusinessUsersByAddress, mayActivate } from './business-users.ts';
import type { SendGuard, SendRefusal } from '../security/send-limits.ts';

export const BUSINESS_CODE_PURPOSES = { activate: 'business_activation', reset: 'business_reset' } as const;
export type BusinessCodePurpose = (typeof BUSINESS_CODE_PURPOSES)[keyof typeof BUSINESS_CODE_PURPOSES];

export type CodeRequest = {
  channel: Channel;
  /** Already normalised (normalizeEmail / normalizeMobile). */
  address: string;
  purpose: BusinessCodePurpose;
  /** The browser flow (interaction uid) the code is bound to. */
  flowId: string;
  language: Language;
  ttlMs: number;
};

/** Why no code was sent: for the audit log only, never for the person asking. */
export type NotSentReason = 'unknown' | 'disabled' | 'ambiguous' | `limited_${SendRefusal}`;

export async function requestBusinessCode(
  db: Db,
  secret: string,
  guard: SendGuard,
  request: CodeRequest & { ip: string },
  now: number,
): Promise<{ accountId: string | null; sent: boolean; reason?: NotSentReason }> {
  const matches = await findBusinessUsersByAddress(db, request.channel, request.address);
  const usable = matches.filter(mayActivate);
  // A mobile shared by several users cannot say whose password is to be set: nothing is sent.
  const owner = usable.length === 1 ? usable[0]! : undefined;
  // Sending limits before anything is issued (outside the transaction: the counters may share its connection).
  const allowance = await guard({ channel: request.channel, recipient: request.address, ip: request.ip, matched: Boolean(owner) });
  const account = allowance.allowed ? owner : undefined;
  const reason: NotSentReason | undefined = owner
    ? allowance.allowed
      ? undefined
      : `limited_${allowance.reason}`
    : usable.length > 1
      ? 'ambiguous'
      : matches.length
        ? 'disabled'
        : 'unknown';
  await db.transaction(async (trx) => {
    const issued = await issueOneTimeCode(trx, secret, { accountId: account?.id ?? null, purpose: request.purpose, flowId: request.flowId, address: `${request.channel}:${request.address}`, ttlMs: request.ttlMs }, now);
    if (!account) return;
    await enqueue(
      trx,
      {
        channel: request.channel,
        // The stored address, never what the form said.
        to: request.channel === 'email' ? account.email! : account.mobile!,
        kind: request.channel === 'email' ? 'business_code_email' : 'business_code_sms',
        language: request.language,
        params: { code: issued.code, minutes: String(Math.round(request.ttlMs / 60_000)) },
        expiresAt: issued.expiresAt,
        accountId: account.id,
      },
      now,
    );
  });
  // For the audit: whose address it was, also when nothing was sent (a disabled user's).
  const whose = owner ?? (matches.length === 1 ? matches[0] : undefined);
  return { accountId: whose?.id ?? null, sent: Boolean(account), reason };
}

export type BusinessCodeCheck =
  | { outcome: 'ok'; account: Account }
  | Exclude<CodeCheck, { outcome: 'ok' }>
  | { outcome: 'dead'; reason: 'not_allowed'; accountId: string };

/**
 * Checks a code entered in the flow; on success also that the account may still set a password
 * (a user disabled after the code was sent may not).
 */
export async function verifyBusinessCode(
  db: Db,
  secret: string,
  input: { purpose: BusinessCodePurpose; flowId: string; code: string },
  now: number,
): Promise<BusinessCodeCheck> {
  const check = await verifyOneTimeCode(db, secret, input, now);
  if (check.outcome !== 'ok') return check;
  const account = await findAccountById(db, check.accountId);
  if (!account || !mayActivate(account)) return { outcome: 'dead', reason: 'not_allowed', accountId: check.accountId };
  return { outcome: 'ok', account };
}
