// The business flows' use cases (src/accounts): the code step, the new password, going on signed in,
// and the invitation link's form. Each keeps the password rules, the hashing and the audit in the core.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { acceptBusinessCode, completeBusinessActivation, signInAfterActivation } from '../../../src/accounts/business-activation.ts';
import { acceptBusinessInvitation, disableBusinessUser, inviteBusinessUser, upsertBusinessUser, type BusinessUserInput } from '../../../src/accounts/business-users.ts';
import { findAccountById } from '../../../src/accounts/accounts.ts';
import { createPasswordHasher } from '../../../src/accounts/passwords.ts';
import { latestAudit } from '../../../src/audit/audit.ts';
import { issueOneTimeCode } from '../../../src/codes/one-time-codes.ts';
import type { Db } from '../../../src/storage/db.ts';
import { createDbCounterStore, type CounterStore } from '../../../src/security/counters.ts';
import { testDb } from '../../support/db.ts';

const T0 = 1_800_000_000_000;
const SECRET = 'secret-0123456789abcdefghijklmnopqrstuvwxyz';
const settings = { passwordPepper: SECRET, passwordMinLength: 12, contactEmail: 'post@hk.example', oneTimeCodeTtl: 600 };
const hasher = createPasswordHasher(SECRET, 4);
const context = { clientId: 'portal', ip: '10.0.0.1', userAgent: 'test' };
const PASSWORD = 'fjelltur-i-jotunheimen';
const base: BusinessUserInput = { email: 'x@firma.example', givenName: 'Per', familyName: 'Hansen', organizationNumber: '987654321', organizationName: 'Firma AS' };

describe('business activation use cases', () => {
  let db: Db;
  let close: () => Promise<void>;
  let n = 0;
  const user = async () => (await upsertBusinessUser(db, { ...base, email: `kari${n++}@firma.example`, mobile: `4123400${n}` }, T0)).account;
  const events = async (accountId: string) => (await latestAudit(db, 20, { accountId })).map((row) => `${row.event} ${JSON.stringify(row.detail)}`).reverse();

  let counters: CounterStore;
  before(async () => {
    ({ db, close } = await testDb());
    counters = createDbCounterStore(db);
  });
  after(() => close());

  test('the code step: a refusal is audited and lists the password’s problems too; a right code is audited and names the account', async () => {
    const account = await user();
    const flowId = `flow-${n}`;
    const { code } = await issueOneTimeCode(db, SECRET, { accountId: account.id, purpose: 'business_activation', flowId, address: `email:${account.email}`, ttlMs: 600_000 }, T0);
    const input = { purpose: 'business_activation' as const, flowId, address: account.email!, password: 'kort', confirmation: 'kort' };

    assert.deepEqual(await acceptBusinessCode(db, settings, { ...input, code: '' }, context, T0), { outcome: 'refused', refusal: { reason: 'missing' }, problems: ['too_short'] });
    const wrong = code === '000000' ? '000001' : '000000';
    assert.deepEqual(await acceptBusinessCode(db, settings, { ...input, code: wrong, password: null }, context, T0), { outcome: 'refused', refusal: { reason: 'wrong', attemptsLeft: 4 }, problems: ['too_long'] });
    const ok = await acceptBusinessCode(db, settings, { ...input, code: `${code.slice(0, 3)} ${code.slice(3)}` }, context, T0);
    assert.equal(ok.outcome, 'ok');
    assert.equal(ok.outcome === 'ok' && ok.account.id, account.id);
    assert.deepEqual(await acceptBusinessCode(db, settings, { ...input, code }, context, T0), { outcome: 'refused', refusal: { reason: 'dead' }, problems: ['too_short'] }, 'used once');
    assert.deepEqual(await events(account.id), [
      'code.failed {"purpose":"business_activation","reason":"wrong"}',
      'code.verified {"purpose":"business_activation"}',
      'code.failed {"purpose":"business_activation","reason":"used"}',
    ]);
  });

  test('the new password: the rules with the account’s own addresses, then active, verified, audited; a disabled user gets nothing', async () => {
    const account = await user();
    const input = { flowId: `flow-${account.id}`, accountId: account.id, proved: 'sms' as const, address: account.mobile!, language: 'nb' as const };
    const mobileInPassword = await completeBusinessActivation(db, hasher, counters, settings, { ...input, password: `passord-${account.mobile}`, confirmation: `passord-${account.mobile}` }, context, T0);
    assert.deepEqual(mobileInPassword, { status: 'invalid', problems: ['contains_identifier'] });
    assert.deepEqual(await completeBusinessActivation(db, hasher, counters, settings, { ...input, password: PASSWORD, confirmation: `${PASSWORD}x` }, context, T0), { status: 'invalid', problems: ['mismatch'] });
    assert.equal((await findAccountById(db, account.id))!.passwordHash, null, 'nothing set while refused');

    const done = await completeBusinessActivation(db, hasher, counters, settings, { ...input, password: PASSWORD, confirmation: PASSWORD }, context, T0);
    assert.equal(done.status, 'done');
    assert.equal(done.status === 'done' && done.activated, true);
    const active = (await findAccountById(db, account.id))!;
    assert.equal(active.status, 'active');
    assert.ok((await hasher.verify(PASSWORD, active.passwordHash)).ok);
    // Again (a reset): audited as such.
    const reset = await completeBusinessActivation(db, hasher, counters, settings, { ...input, flowId: `reset-${account.id}`, password: `${PASSWORD}-2`, confirmation: `${PASSWORD}-2` }, context, T0 + 1);
    assert.equal(reset.status === 'done' && reset.activated, false);
    assert.deepEqual(await events(account.id), ['business.activated {"via":"sms_code"}', 'business.password_reset {"via":"sms_code"}']);

    assert.equal((await signInAfterActivation(db, account.id, context, T0 + 2))?.id, account.id);
    assert.match((await events(account.id)).at(-1)!, /^sign_in\.succeeded \{"kind":"business","via":"one_time_code"\}$/);
    await disableBusinessUser(db, account.email!, T0 + 3);
    assert.equal(await signInAfterActivation(db, account.id, context, T0 + 4), undefined);
    assert.deepEqual(await completeBusinessActivation(db, hasher, counters, settings, { ...input, flowId: `late-${account.id}`, password: `${PASSWORD}-3`, confirmation: `${PASSWORD}-3` }, context, T0 + 5), { status: 'gone' });
    assert.ok((await hasher.verify(`${PASSWORD}-2`, (await findAccountById(db, account.id))!.passwordHash)).ok, 'unchanged');
  });

  test('parallel posts of the new password with one accepted code (a double click): one sets it, once', async () => {
    const account = await user();
    const input = { flowId: `double-${account.id}`, accountId: account.id, proved: 'email' as const, address: account.email!, language: 'nb' as const };
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => completeBusinessActivation(db, hasher, counters, settings, { ...input, password: `${PASSWORD}-${i}`, confirmation: `${PASSWORD}-${i}` }, context, T0)),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), ['already', 'already', 'already', 'already', 'already', 'done']);
    const winner = results.findIndex((r) => r.status === 'done');
    assert.ok((await hasher.verify(`${PASSWORD}-${winner}`, (await findAccountById(db, account.id))!.passwordHash)).ok, "the winner's password is the one set");
    assert.deepEqual(await events(account.id), ['business.activated {"via":"email_code"}'], 'audited once');
  });

  test('the invitation form: the rules, then the link used up and the account active; a used or unknown link is refused, audited', async () => {
    const account = await user();
    await inviteBusinessUser(db, { issuer: 'https://login.hk.example', ttlMs: 86_400_000, createdBy: 'test' }, account.email!, T0);
    const row = await db('outbox').where({ account_id: account.id, kind: 'business_invitation' }).first();
    const token = new URL(JSON.parse(row!.params!).link).pathname.split('/').at(-1)!;
    const input = { token, password: PASSWORD, confirmation: PASSWORD };

    assert.deepEqual(await acceptBusinessInvitation(db, hasher, settings, { ...input, password: account.email!, confirmation: account.email! }, context, T0), {
      status: 'invalid',
      email: account.email,
      problems: ['contains_identifier'],
    });
    const done = await acceptBusinessInvitation(db, hasher, settings, input, context, T0);
    assert.equal(done.status === 'done' && done.account.status, 'active');
    assert.deepEqual(await acceptBusinessInvitation(db, hasher, settings, input, context, T0), { status: 'refused' });
    assert.deepEqual(await events(account.id), ['business.activated {"via":"invitation"}']);
    const [refused] = await latestAudit(db, 1, { event: 'invitation.refused' });
    assert.equal(refused!.accountId, null, 'a used link names no one');
  });
});
