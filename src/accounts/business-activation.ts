// "Aktiver brukerkonto" / "Glemt passord" for business users: a one-time code to the registered
// e-mail or mobile, then a new password. Asking for a code only records the order (one identical
// insert whatever the address matches); the outbox worker matches it, issues the code (a code row is
// stored either way), queues the message and audits, so neither the answer nor its timing tells.
import type { Settings } from '../../config/settings.ts';
import type { Db } from '../storage/db.ts';
import { audit, type AuditContext } from '../audit/audit.ts';
import type { Channel } from '../delivery/delivery.ts';
import { enqueue } from '../delivery/outbox.ts';
import { recordOrder, type Order } from '../delivery/orders.ts';
import { issueOneTimeCode, normalizeCode, verifyOneTimeCode, type CodeCheck } from '../codes/one-time-codes.ts';
import { canSignIn, findAccountById, type Account } from './accounts.ts';
import type { Language } from '../../config/vocabulary.ts';
import { businessPasswordProblems, findBusinessUsersByAddress, mayActivate, setBusinessPassword, type NewPasswordInput } from './business-users.ts';
import type { PasswordProblem } from './password-policy.ts';
import type { PasswordHasher } from './passwords.ts';
import type { CounterStore } from '../security/counters.ts';
import type { SendGuard, SendRefusal } from '../security/send-limits.ts';

export const BUSINESS_CODE_PURPOSES = { activate: 'business_activation', reset: 'business_reset' } as const;
export type BusinessCodePurpose = (typeof BUSINESS_CODE_PURPOSES)[keyof typeof BUSINESS_CODE_PURPOSES];
const isPurpose = (value: unknown): value is BusinessCodePurpose => Object.values(BUSINESS_CODE_PURPOSES).includes(value as BusinessCodePurpose);

export type CodeRequest = {
  channel: Channel;
  /** Already normalised (normalizeEmail / normalizeMobile). */
  address: string;
  purpose: BusinessCodePurpose;
  /** The browser flow (interaction uid) the code is bound to. */
  flowId: string;
  /** The language of the page: the message is written in it. */
  language: Language;
};

/** Why no code was sent: for the audit log only, never for the person asking. */
export type NotSentReason = 'unknown' | 'disabled' | 'ambiguous' | `limited_${SendRefusal}` | 'attempts_spent';

/** Asking for a code: records the order, nothing else (see fulfilBusinessCodeOrder). */
export async function orderBusinessCode(
  db: Db,
  request: CodeRequest,
  context: { ip?: string | null; clientId?: string | null; userAgent?: string | null },
  now: number,
): Promise<void> {
  await recordOrder(
    db,
    {
      kind: 'business_code',
      memberNumber: null,
      channel: request.channel,
      contact: request.address,
      language: request.language,
      ip: context.ip ?? null,
      clientId: context.clientId ?? null,
      context: { userAgent: context.userAgent ?? null, purpose: request.purpose, flowId: request.flowId },
    },
    now,
  );
}

/**
 * The worker's half of a code order: a code goes to the address only if it belongs to exactly one
 * user who may activate and the sending limits allow it; a code no one can use is issued otherwise,
 * so what gets cancelled tells nothing. Audited as `code.requested` with the reason when nothing was
 * sent. Undefined when another instance had the order.
 */
export async function fulfilBusinessCodeOrder(
  db: Db,
  secret: string,
  guard: SendGuard,
  ttlMs: number,
  order: Order,
  claim: (trx: Db) => Promise<boolean>,
  now: number,
): Promise<{ accountId: string | null; sent: boolean; reason?: NotSentReason } | undefined> {
  const { channel, contact: address } = order;
  const { purpose, flowId, userAgent } = order.context;
  if (!isPurpose(purpose) || !flowId) throw new Error(`order ${order.id} is not a code order`);
  const matches = await findBusinessUsersByAddress(db, channel, address);
  const usable = matches.filter(mayActivate);
  // A mobile shared by several users cannot say whose password is to be set: nothing is sent.
  const owner = usable.length === 1 ? usable[0]! : undefined;
  // Sending limits before anything is issued (outside the transaction: the counters may share its connection).
  const allowance = await guard({ channel, recipient: address, ip: order.ip ?? 'unknown', matched: Boolean(owner) });
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
  // For the audit: whose address it was, also when nothing was sent (a disabled user's).
  const whose = owner ?? (matches.length === 1 ? matches[0] : undefined);
  return db.transaction(async (trx) => {
    if (!(await claim(trx))) return undefined;
    const issued = await issueOneTimeCode(trx, secret, { accountId: account?.id ?? null, purpose, flowId, address: `${channel}:${address}`, ttlMs }, now);
    // This sign-in has had its wrong entries for the account: the new code could never work.
    const sent = Boolean(account) && !issued.spent;
    const why = account && issued.spent ? 'attempts_spent' : reason;
    if (account && sent) {
      await enqueue(
        trx,
        {
          channel,
          // The stored address, never what the form said.
          to: channel === 'email' ? account.email! : account.mobile!,
          kind: channel === 'email' ? 'business_code_email' : 'business_code_sms',
          language: order.language === 'en' ? 'en' : 'nb',
          params: { code: issued.code, minutes: String(Math.round(ttlMs / 60_000)) },
          expiresAt: issued.expiresAt,
          accountId: account.id,
        },
        now,
      );
    }
    await audit(
      trx,
      {
        event: 'code.requested',
        accountId: whose?.id ?? null,
        clientId: order.clientId,
        ip: order.ip,
        userAgent: userAgent ?? null,
        detail: { purpose, channel, sent, ...(why ? { reason: why } : {}) },
      },
      now,
    );
    return { accountId: whose?.id ?? null, sent, reason: why };
  });
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

/** Why a code typed in the flow was refused, as the page tells it. */
export type CodeRefusal = { reason: 'missing' } | { reason: 'wrong'; attemptsLeft: number } | { reason: 'attempts' } | { reason: 'dead' };

/**
 * Step 2 of activation and reset, first half: the code typed in the flow (`code` as the form gave
 * it), checked and audited before anything else, so the flow can keep a right code even when the
 * new password is refused next. A refusal lists the new password's problems too (judged by the
 * typed address only), so no answer tells whether the address is registered.
 */
export async function acceptBusinessCode(
  db: Db,
  settings: Pick<Settings, 'passwordPepper' | 'passwordMinLength'>,
  input: { purpose: BusinessCodePurpose; flowId: string; address: string; code: string | null } & NewPasswordInput,
  context: AuditContext,
  now: number,
): Promise<{ outcome: 'ok'; account: Account } | { outcome: 'refused'; refusal: CodeRefusal; problems: PasswordProblem[] }> {
  const { purpose } = input;
  const refused = (refusal: CodeRefusal) => ({ outcome: 'refused' as const, refusal, problems: businessPasswordProblems(input, settings.passwordMinLength, [input.address]) });
  const code = input.code ? normalizeCode(input.code) : undefined;
  if (!code) return refused({ reason: 'missing' });
  const check = await verifyBusinessCode(db, settings.passwordPepper, { purpose, flowId: input.flowId, code }, now);
  if (check.outcome !== 'ok') {
    const reason = check.outcome === 'wrong' ? 'wrong' : check.reason;
    await audit(db, { event: 'code.failed', accountId: check.accountId, ...context, detail: { purpose, reason } }, now);
    if (check.outcome === 'wrong') return refused({ reason: 'wrong', attemptsLeft: check.attemptsLeft });
    return refused({ reason: check.reason === 'attempts' ? 'attempts' : 'dead' });
  }
  await audit(db, { event: 'code.verified', accountId: check.account.id, ...context, detail: { purpose } }, now);
  return { outcome: 'ok', account: check.account };
}

/**
 * Step 2, second half: the new password of the account whose code the flow accepted. It must pass
 * the rules (the account's own e-mail and mobile count as identifiers now, with the typed address);
 * then the account is active with it, the address `proved` is verified, every other session ends
 * and it is audited as an activation or a reset. `gone`: the user was disabled (or removed) since
 * the code was accepted; nothing was set, and the flow must start over.
 */
export async function completeBusinessActivation(
  db: Db,
  hasher: PasswordHasher,
  counters: Pick<CounterStore, 'once'>,
  settings: Pick<Settings, 'passwordMinLength' | 'contactEmail' | 'oneTimeCodeTtl'>,
  /** `flowId`: the sign-in whose code was accepted; it sets one password, once. */
  input: { flowId: string; accountId: string; proved: Channel; address: string; language: Language } & NewPasswordInput,
  context: AuditContext,
  now: number,
): Promise<{ status: 'done'; account: Account; activated: boolean } | { status: 'invalid'; problems: PasswordProblem[] } | { status: 'gone' } | { status: 'already' }> {
  const account = await findAccountById(db, input.accountId);
  if (!account || !mayActivate(account)) return { status: 'gone' };
  const problems = businessPasswordProblems(input, settings.passwordMinLength, [account.email, account.mobile, input.address]);
  if (problems.length) return { status: 'invalid', problems };
  const hash = await hasher.hash(input.password!);
  // One accepted code sets one password: of parallel posts of the step (a double click), one writes,
  // is audited and ends the other sessions; the rest are told it is already done.
  if (!(await counters.once(`business-password:${input.flowId}`, now, settings.oneTimeCodeTtl * 1000))) return { status: 'already' };
  const changed = await setBusinessPassword(db, account.id, hash, input.proved, now, settings.contactEmail, input.language);
  if (!changed) return { status: 'gone' };
  const activated = changed.previousStatus === 'invited';
  await audit(db, { event: activated ? 'business.activated' : 'business.password_reset', accountId: account.id, ...context, detail: { via: `${input.proved}_code` } }, now);
  return { status: 'done', account: changed.account, activated };
}

/**
 * Step 3: the user who has just set a password goes on signed in to the app (audited as a sign-in by
 * one-time code). Undefined when they may not sign in (disabled in the meantime).
 */
export async function signInAfterActivation(db: Db, accountId: string, context: AuditContext, now: number): Promise<Account | undefined> {
  const account = await findAccountById(db, accountId);
  if (!account || !canSignIn(account)) return undefined;
  await audit(db, { event: 'sign_in.succeeded', accountId: account.id, ...context, detail: { kind: 'business', via: 'one_time_code' } }, now);
  return account;
}
