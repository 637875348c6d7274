// First-time passwords for members ("Jeg vil ha eller har glemt passord", "Jeg har fått nytt
// passord/PIN"): ordering one to the registered contact, the caseworker sending one, the wipe of old
// credentials ("I det man bestiller førstegangspassord slettes alt det gamle"), redeeming one, and
// choosing a username and own password before the sign-in may continue.
//
// A first-time password has ~59 bits from a CSPRNG and lives at most a day, so a keyed hash
// (HMAC with a key derived from the pepper) is enough to store it. Ordering one only records the
// order, the same insert whatever it matches; the outbox worker fulfils it (src/delivery/orders.ts).
import { createHmac, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Settings } from '../../config/settings.ts';
import { audit, type AuditContext } from '../audit/audit.ts';
import type { Channel } from '../delivery/delivery.ts';
import { enqueue } from '../delivery/outbox.ts';
import { recordOrder, type Order } from '../delivery/orders.ts';
import { InputError, UsernameError } from '../errors.ts';
import { endEverythingOf } from '../oidc/adapter.ts';
import type { Db } from '../storage/db.ts';
import type { BigIntColumn } from '../storage/tables.ts';
import { canSignIn, findAccountById, MEMBER_NUMBER, findMemberByNumber, setUsername, usernameKey, validateUsername, type Account } from './accounts.ts';
import type { Language } from '../../config/vocabulary.ts';
import { normalizeEmail, normalizeMobile } from './contact.ts';
import { checkNewPassword, type PasswordProblem } from './password-policy.ts';
import type { PasswordHasher } from './passwords.ts';
import { throttledGuess, typedKey, type Guess, type SignInDeps } from './sign-in.ts';
import type { SendGuard, SendRefusal } from '../security/send-limits.ts';
import type { CounterStore } from '../security/counters.ts';
import { limitKey } from '../security/ip.ts';

export type FirstTimePasswordSettings = Pick<Settings, 'firstTimePasswordTtl' | 'wipeCredentials' | 'passwordPepper' | 'passwordMinLength'>;

/** Lower-case letters and digits without the look-alikes 0/o, 1/l/i: easy to type from an SMS. */
export const FIRST_TIME_PASSWORD_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';
export const FIRST_TIME_PASSWORD_LENGTH = 12;
export const MESSAGE_KIND = 'first-time-password';


export function generateFirstTimePassword(): string {
  let password = '';
  for (let i = 0; i < FIRST_TIME_PASSWORD_LENGTH; i++) password += FIRST_TIME_PASSWORD_ALPHABET[randomInt(FIRST_TIME_PASSWORD_ALPHABET.length)];
  return password;
}

/** As a message shows it: groups of four are easier to read off a phone. */
export const formatFirstTimePassword = (password: string) => password.match(/.{1,4}/g)!.join(' ');

/** What a person typed: case, spaces and dashes do not matter. */
export const normalizeFirstTimePasswordInput = (typed: string) => typed.normalize('NFKC').toLowerCase().replace(/[\s-]/g, '');

function secretHash(pepper: string, accountId: string, password: string): string {
  // A key of its own, so this hash can never be confused with a password pre-hash.
  const key = createHmac('sha256', pepper).update('hk-idp first-time password').digest();
  return createHmac('sha256', key).update(`${accountId}\n${password}`).digest('base64url');
}

/** "+4798765432" → "…432": enough for a caseworker to confirm with the member, no more. */
export const maskMobile = (mobile: string) => `…${mobile.slice(-3)}`;

/** Deletes the member's password and username and ends every session, grant and token of theirs. */
export async function wipeCredentials(trx: Db, accountId: string, now: number): Promise<void> {
  await trx('accounts').where({ id: accountId }).update({ password_hash: null, username: null, username_key: null, updated_at: now });
  await endEverythingOf(trx, accountId, now);
}

/**
 * Issues a new first-time password to the member's registered contact on `channel`, inside `trx`:
 * it replaces any one ordered earlier, wipes the old credentials when WIPE_CREDENTIALS=on-order, and
 * queues the message in `language` (the outbox worker sends it later, never inside the request).
 * False, and nothing done, when a first-time password ordered later is already there.
 */
async function issue(
  trx: Db,
  settings: FirstTimePasswordSettings,
  account: Account,
  request: { channel: Channel; language: Language; orderedAt: number },
  context: AuditContext,
  now: number,
): Promise<boolean> {
  const { channel } = request;
  const to = channel === 'sms' ? account.mobile : account.email;
  if (!to) throw new Error(`member ${account.id} has no ${channel} contact`);
  const password = generateFirstTimePassword();
  const id = randomUUID();
  const expiresAt = now + settings.firstTimePasswordTtl * 1000;
  await trx('first_time_passwords')
    .insert({
      account_id: account.id,
      id,
      secret_hash: secretHash(settings.passwordPepper, account.id, password),
      channel,
      issued_by: context.actor ?? null,
      created_at: request.orderedAt,
      expires_at: expiresAt,
      wiped_at: null,
    })
    .onConflict('account_id')
    .merge()
    // Never over one ordered later (two instances may fulfil two orders of one member at once).
    .where('first_time_passwords.created_at', '<=', request.orderedAt);
  const current = await trx('first_time_passwords').where({ account_id: account.id }).first('id');
  if (current?.id !== id) return false;
  if (settings.wipeCredentials === 'on-order') {
    await wipeCredentials(trx, account.id, now);
    await audit(trx, { event: 'credentials.wiped', accountId: account.id, ...context, detail: { moment: 'on-order' } }, now);
  }
  await enqueue(
    trx,
    {
      channel,
      to,
      kind: MESSAGE_KIND,
      language: request.language,
      params: { password: formatFirstTimePassword(password), validMinutes: String(Math.round(settings.firstTimePasswordTtl / 60)) },
      expiresAt,
      accountId: account.id,
    },
    now,
  );
  return true;
}

export type OrderReason = 'unknown_member' | 'inactive' | 'no_contact' | 'contact_mismatch' | `limited_${SendRefusal}` | 'superseded';
/** `language`: the language of the page the person orders from; the message is written in it. */
export type OrderInput = { memberNumber: string; channel: Channel; contact: string; language: Language };

/** The typed contact in the form HK stores it, or undefined when it cannot be one. */
export function normalizeContact(channel: Channel, contact: string): string | undefined {
  return channel === 'sms' ? normalizeMobile(contact) : normalizeEmail(contact);
}

/**
 * "Jeg vil ha eller har glemt passord": records the order, nothing else. The same single insert
 * whatever the member number and contact match, so the request takes the same time either way; the
 * outbox worker fulfils it (fulfilFirstTimePasswordOrder).
 */
export async function orderFirstTimePassword(db: Db, order: OrderInput, context: AuditContext, now: number): Promise<void> {
  const memberNumber = order.memberNumber.trim();
  const typed = normalizeContact(order.channel, order.contact);
  if (!MEMBER_NUMBER.test(memberNumber) || !typed) throw new InputError('a member number and a valid contact are required');
  await recordOrder(
    db,
    {
      kind: 'first_time_password',
      memberNumber,
      channel: order.channel,
      contact: typed,
      language: order.language,
      ip: context.ip ?? null,
      clientId: context.clientId ?? null,
      context: { userAgent: context.userAgent ?? null },
    },
    now,
  );
}

/** The request context an order was recorded with, for the audit log. */
const orderContext = (order: Order): AuditContext => ({ clientId: order.clientId, ip: order.ip, userAgent: order.context.userAgent ?? null });

/**
 * The worker's half of an order: sends only when the typed contact is exactly the one registered
 * for that member (after normalisation) and the sending limits allow it. The outcome is audited
 * (`first_time_password.ordered`, with the reason when nothing was sent); the person was already
 * told the same thing whatever it is. Undefined when another instance had the order.
 */
export async function fulfilFirstTimePasswordOrder(
  db: Db,
  settings: FirstTimePasswordSettings,
  guard: SendGuard,
  order: Order,
  claim: (trx: Db) => Promise<boolean>,
  now: number,
): Promise<{ sent: boolean; reason?: OrderReason } | undefined> {
  const memberNumber = order.memberNumber ?? '';
  const context = orderContext(order);
  const language: Language = order.language === 'en' ? 'en' : 'nb';
  // Sending limits before anything is issued or wiped (SMS costs money, and a flood of orders must
  // not keep a member's credentials wiped). They run outside the transaction: the counters may share
  // its connection.
  const matched = !mismatch(await findMemberByNumber(db, memberNumber), order.channel, order.contact);
  const allowance = await guard({ channel: order.channel, recipient: order.contact, ip: order.ip ?? 'unknown', matched });
  return db.transaction(async (trx) => {
    if (!(await claim(trx))) return undefined;
    const account = await findMemberByNumber(trx, memberNumber);
    let reason: OrderReason | undefined = mismatch(account, order.channel, order.contact) ?? (allowance.allowed ? undefined : `limited_${allowance.reason}`);
    if (account && !reason && !(await issue(trx, settings, account, { channel: order.channel, language, orderedAt: order.createdAt }, context, now))) reason = 'superseded';
    await audit(
      trx,
      { event: 'first_time_password.ordered', accountId: account?.id ?? null, ...context, detail: { channel: order.channel, sent: !reason, ...(reason ? { reason } : {}) } },
      now,
    );
    return reason ? { sent: false, reason } : { sent: true };
  });
}

/** Why a first-time password for `account` may not go to `typed` on `channel`; undefined when it may. */
function mismatch(account: Account | undefined, channel: Channel, typed: string): OrderReason | undefined {
  if (!account) return 'unknown_member';
  if (!canSignIn(account)) return 'inactive';
  const stored = channel === 'sms' ? account.mobile : account.email;
  const registered = stored ? normalizeContact(channel, stored) : undefined;
  if (!registered) return 'no_contact';
  return registered === typed ? undefined : 'contact_mismatch';
}

/**
 * A caseworker, on the phone with the member, sends a first-time password by SMS to the member's
 * registered mobile: the same effect as the member ordering it, at once (the caseworker is told the
 * outcome), in the register's language. The caseworker never sees it. The audit names the
 * caseworker and who ran the command (`context.actor`); the sending quota is counted on the latter,
 * which the caseworker cannot choose.
 */
export async function sendFirstTimePasswordAsCaseworker(
  db: Db,
  settings: FirstTimePasswordSettings,
  guard: SendGuard,
  request: { memberNumber: string; caseworker: string },
  context: AuditContext,
  now: number,
): Promise<{ sent: true; to: string } | { sent: false; reason: Exclude<OrderReason, 'contact_mismatch'> }> {
  const memberNumber = request.memberNumber.trim();
  const caseworker = request.caseworker.trim();
  if (!MEMBER_NUMBER.test(memberNumber)) throw new InputError('the member number must be 1-20 digits');
  if (!caseworker || caseworker.length > 100 || /\p{Cc}/u.test(caseworker)) throw new InputError('say who the caseworker is (--by, at most 100 characters)');
  const by = { ...context, actor: context.actor ? `${caseworker} via ${context.actor}` : caseworker };
  const found = await findMemberByNumber(db, memberNumber);
  const matched = Boolean(found && canSignIn(found) && found.mobile);
  const allowance = await guard({ channel: 'sms', recipient: found?.mobile ?? '', ip: `caseworker:${context.actor ?? caseworker}`, matched });
  return db.transaction(async (trx) => {
    const account = await findMemberByNumber(trx, memberNumber);
    const reason = !account
      ? 'unknown_member'
      : !canSignIn(account)
        ? 'inactive'
        : !account.mobile
          ? 'no_contact'
          : !allowance.allowed
            ? (`limited_${allowance.reason}` as const)
            : undefined;
    if (account && !reason) await issue(trx, settings, account, { channel: 'sms', language: account.language, orderedAt: now }, by, now);
    await audit(
      trx,
      { event: 'caseworker.first_time_password_sent', accountId: account?.id ?? null, ...by, detail: { channel: 'sms', sent: !reason, ...(reason ? { reason } : {}) } },
      now,
    );
    return reason ? { sent: false as const, reason } : { sent: true as const, to: maskMobile(account!.mobile!) };
  });
}

/** A redeemed first-time password: the member may now choose a username and password, nothing more. */
export type FirstLogin = { accountId: string; firstTimePasswordId: string };

/** What a first-time password could look like once normalised: anything else cannot be one. */
export const couldBeFirstTimePassword = (typed: string) =>
  new RegExp(`^[${FIRST_TIME_PASSWORD_ALPHABET}]{${FIRST_TIME_PASSWORD_LENGTH}}$`).test(normalizeFirstTimePasswordInput(typed));

/** Whose first-time password is tried: by typed member number ("Jeg har fått nytt passord/PIN"), or an account already looked up (the sign-in form). */
export type FirstTimePasswordHolder = { memberNumber: string } | { account: Account | undefined };

/** The member joined with their first-time password, if any (knex does not type a join's columns). */
type FirstLoginRow = { account_id: string; status: string; ftp_id: string | null; secret_hash: string | null; expires_at: BigIntColumn | null; wiped_at: BigIntColumn | null };

/**
 * "Jeg har fått nytt passord/PIN" (member number + first-time password), and a first-time password
 * typed into the ordinary sign-in form. One query and one HMAC comparison whatever exists, so
 * neither answer nor timing tells whether the member exists. With WIPE_CREDENTIALS=on-use the first
 * correct use is when the old credentials are wiped. A throttled attempt (`allowed` false) is
 * compared for the timing only: it has no effect and is not audited here. `auditFailure` false
 * leaves the failure to the caller's audit (the sign-in form records one failure per attempt).
 */
export async function redeemFirstTimePassword(
  db: Db,
  settings: FirstTimePasswordSettings,
  input: FirstTimePasswordHolder & { password: string },
  context: AuditContext,
  now: number,
  allowed = true,
  auditFailure = true,
): Promise<FirstLogin | undefined> {
  const typed = normalizeFirstTimePasswordInput(input.password);
  const query = () =>
    db('accounts')
      .leftJoin('first_time_passwords', 'first_time_passwords.account_id', 'accounts.id')
      .where('accounts.kind', 'member')
      .first('accounts.id as account_id', 'accounts.status', 'first_time_passwords.id as ftp_id', 'first_time_passwords.secret_hash', 'first_time_passwords.expires_at', 'first_time_passwords.wiped_at');
  let row: FirstLoginRow | undefined;
  if ('memberNumber' in input) {
    const memberNumber = input.memberNumber.trim();
    row = MEMBER_NUMBER.test(memberNumber) ? await query().andWhere('accounts.member_number', memberNumber) : undefined;
  } else {
    // The same query for no account, so an unknown identifier costs the same.
    row = await query().andWhere('accounts.id', input.account?.id ?? '');
  }
  const live = Boolean(row?.ftp_id) && row!.status === 'active' && Number(row!.expires_at) > now;
  const expected = Buffer.from(live ? row!.secret_hash! : secretHash(settings.passwordPepper, 'decoy', 'decoy'));
  const actual = Buffer.from(secretHash(settings.passwordPepper, row?.account_id ?? 'decoy', typed));
  const ok = expected.length === actual.length && timingSafeEqual(expected, actual) && live;
  if (!allowed) return undefined;
  if (!ok) {
    if (auditFailure) await audit(db, { event: 'sign_in.failed', accountId: row?.account_id ?? null, ...context, detail: { kind: 'member', method: 'first_time_password' } }, now);
    return undefined;
  }
  const login = { accountId: row!.account_id, firstTimePasswordId: row!.ftp_id as string };
  if (settings.wipeCredentials === 'on-use' && row!.wiped_at == null) {
    await db.transaction(async (trx) => {
      // The conditional update is the claim: of two simultaneous first uses, one wipes.
      const first = await trx('first_time_passwords').where({ account_id: login.accountId, id: login.firstTimePasswordId }).whereNull('wiped_at').update({ wiped_at: now });
      if (!first) return;
      await wipeCredentials(trx, login.accountId, now);
      await audit(trx, { event: 'credentials.wiped', accountId: login.accountId, ...context, detail: { moment: 'on-use' } }, now);
    });
  }
  await audit(db, { event: 'first_time_password.accepted', accountId: login.accountId, ...context }, now);
  return login;
}

/** What a throttled first-time password guess needs. */
export type FirstLoginDeps = { db: Db; settings: FirstTimePasswordSettings; signIn: SignInDeps; now: () => number };

/**
 * A guess at a first-time password for throttledGuess, throttled like password sign-ins but keyed on
 * the first-time password typed, not on the member: it has ~59 bits, so the per-IP limit is what stops
 * guessing, and no one who knows only a member number can lock out the holder of the newest
 * first-time password (nor does a locked password block it). The sign-in form makes it part of one
 * attempt with the password guess (`auditFailure` false: that form records the failed attempt itself).
 */
export function firstTimePasswordGuess(
  deps: FirstLoginDeps,
  holder: FirstTimePasswordHolder,
  password: string,
  context: AuditContext,
  auditFailure: boolean,
): Guess<FirstLogin> {
  return {
    subject: typedKey(deps.signIn, 'ftp', normalizeFirstTimePasswordInput(password)),
    check: (allowed) => redeemFirstTimePassword(deps.db, deps.settings, { ...holder, password }, context, deps.now(), allowed, auditFailure),
  };
}

/** "Jeg har fått nytt passord/PIN": one throttled guess at the first-time password, audited whatever the outcome. */
export async function firstLoginThrottled(deps: FirstLoginDeps, holder: FirstTimePasswordHolder, password: string, context: AuditContext): Promise<FirstLogin | undefined> {
  const { result, throttled } = await throttledGuess(deps.signIn, context.ip ?? 'unknown', [firstTimePasswordGuess(deps, holder, password, context, true)]);
  if (throttled) await audit(deps.db, { event: 'sign_in.throttled', ...context, detail: { kind: 'member', method: 'first_time_password' } }, deps.now());
  return result;
}

export type CredentialProblem =
  | { field: 'username'; reason: UsernameError['reason'] }
  | { field: 'password' | 'confirmation'; reason: PasswordProblem | 'characters' };

export type CredentialsInput = {
  /** null (any field): the form field could not be read (control characters). */
  username: string | null;
  password: string | null;
  confirmation: string | null;
};

/** The problems with a chosen username and password, in form order; empty when both are fine. */
async function credentialProblems(db: Db, settings: FirstTimePasswordSettings, account: Account, input: CredentialsInput): Promise<CredentialProblem[]> {
  const problems: CredentialProblem[] = [];
  let username: string | undefined;
  try {
    if (input.username === null) throw new UsernameError('characters');
    username = validateUsername(input.username);
    const taken = await db('accounts').where({ username_key: usernameKey(username) }).whereNot({ id: account.id }).first('id');
    if (taken) problems.push({ field: 'username', reason: 'taken' });
  } catch (error) {
    if (!(error instanceof UsernameError)) throw error;
    problems.push({ field: 'username', reason: error.reason });
  }
  if (input.password === null) {
    problems.push({ field: 'password', reason: 'characters' });
  } else {
    const passwordProblems = checkNewPassword(input.password, input.confirmation ?? '', {
      minLength: settings.passwordMinLength,
      identifiers: [account.memberNumber, username ?? input.username, account.email],
    });
    for (const reason of passwordProblems) problems.push({ field: reason === 'mismatch' ? 'confirmation' : 'password', reason });
  }
  return problems;
}

const HOUR = 3600_000;

/**
 * Each try at choosing credentials tells whether a username is taken, and a username may be an
 * e-mail address: unlimited, it would tell who is a member. Tries are counted per redeemed
 * first-time password and per IP, each counted before anything is checked, and the total each
 * request gets back includes its own try, so parallel tries cannot slip past. Refused tries count
 * too: hammering keeps the limit closed.
 */
async function tooManyTries(counters: CounterStore, limits: Settings['credentialChecks'], login: FirstLogin, ip: string, now: number): Promise<'flow' | 'ip' | undefined> {
  const byFlow = await counters.increment(`credentials-flow:${login.firstTimePasswordId}`, HOUR, now);
  const byIp = await counters.increment(`credentials-ip:${limitKey(ip)}`, HOUR, now);
  return byFlow > limits.perFlowHour ? 'flow' : byIp > limits.perIpHour ? 'ip' : undefined;
}

/**
 * The step after a redeemed first-time password: the member chooses a personal username and an own
 * password. Only when both are saved is the first-time password used up and the sign-in may go on
 * (audited as the member's sign-in). `limited`: too many tries (see tooManyTries), nothing checked.
 */
export async function completeFirstLogin(
  db: Db,
  hasher: PasswordHasher,
  counters: CounterStore,
  settings: FirstTimePasswordSettings & Pick<Settings, 'credentialChecks'>,
  login: FirstLogin,
  input: CredentialsInput,
  context: AuditContext,
  now: number,
): Promise<{ status: 'done'; account: Account } | { status: 'invalid'; problems: CredentialProblem[] } | { status: 'expired' } | { status: 'limited' }> {
  const limited = await tooManyTries(counters, settings.credentialChecks, login, context.ip ?? 'unknown', now);
  if (limited) {
    // Every refused try, as a throttled sign-in is (`sign_in.throttled`).
    await audit(db, { event: 'credentials.limited', accountId: login.accountId, ...context, detail: { per: limited } }, now);
    return { status: 'limited' };
  }
  const result = await saveChosenCredentials(db, hasher, settings, login, input, context, now);
  if (result.status === 'done') {
    await audit(db, { event: 'sign_in.succeeded', accountId: result.account.id, ...context, detail: { kind: 'member', method: 'first_time_password' } }, now);
  }
  return result;
}

async function saveChosenCredentials(
  db: Db,
  hasher: PasswordHasher,
  settings: FirstTimePasswordSettings,
  login: FirstLogin,
  input: CredentialsInput,
  context: AuditContext,
  now: number,
): Promise<{ status: 'done'; account: Account } | { status: 'invalid'; problems: CredentialProblem[] } | { status: 'expired' }> {
  const stillLive = async (query: Db) =>
    query('first_time_passwords').where({ account_id: login.accountId, id: login.firstTimePasswordId }).andWhere('expires_at', '>', now).first('id');
  const account = await findAccountById(db, login.accountId);
  if (!account || !canSignIn(account) || !(await stillLive(db))) return { status: 'expired' };

  const problems = await credentialProblems(db, settings, account, input);
  if (problems.length) return { status: 'invalid', problems };
  // bcrypt before the transaction: it is slow and SQLite has one connection.
  const passwordHash = await hasher.hash(input.password!);
  try {
    const done = await db.transaction(async (trx) => {
      // Deleting the first-time password is the claim: it works for one completion only.
      const claimed = await trx('first_time_passwords').where({ account_id: login.accountId, id: login.firstTimePasswordId }).andWhere('expires_at', '>', now).delete();
      if (!claimed) return false;
      // Sessions begun with the old credentials end; the new sign-in starts after this.
      await endEverythingOf(trx, account.id, now);
      const username = await setUsername(trx, account.id, input.username!);
      await trx('accounts').where({ id: account.id }).update({ password_hash: passwordHash, updated_at: now });
      await audit(trx, { event: 'username.set', accountId: account.id, ...context, detail: { username } }, now);
      await audit(trx, { event: 'password.set', accountId: account.id, ...context }, now);
      return true;
    });
    if (!done) return { status: 'expired' };
  } catch (error) {
    // Someone took the name between the check and the save.
    if (error instanceof UsernameError) return { status: 'invalid', problems: [{ field: 'username', reason: error.reason }] };
    throw error;
  }
  return { status: 'done', account: (await findAccountById(db, account.id))! };
}
