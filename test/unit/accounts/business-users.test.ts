import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUSINESS_CODE_PURPOSES, fulfilBusinessCodeOrder, orderBusinessCode } from '../../../src/accounts/business-activation.ts';
import { processDueOrders } from '../../../src/delivery/orders.ts';
import type { SendGuard } from '../../../src/security/send-limits.ts';
import {
  setBusinessPassword,
  acceptInvitation,
  disableBusinessUser,
  enableBusinessUser,
  findBusinessUserByEmail,
  findInvitation,
  importBusinessUsers,
  inviteBusinessUser,
  listBusinessUsers,
  upsertBusinessUser,
  validateBusinessUser,
  type BusinessUserInput,
} from '../../../src/accounts/business-users.ts';
import { upsertMember } from '../../../src/accounts/accounts.ts';
import { InputError } from '../../../src/errors.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';

const T0 = 1_800_000_000_000;
const DAY = 24 * 3600 * 1000;
const ISSUER = 'https://login.hk.example';
const SECRET = 'secret-0123456789abcdefghijklmnopqrstuvwxyz';
const base: BusinessUserInput = { email: 'x@firma.example', givenName: 'Per', familyName: 'Hansen', organizationNumber: '987 654 321', organizationName: 'Firma AS' };

describe('business users', () => {
  let db: Db;
  let close: () => Promise<void>;
  let n = 0;
  const user = async (input: Partial<BusinessUserInput> = {}) => (await upsertBusinessUser(db, { ...base, email: `user${n++}@firma.example`, ...input }, T0)).account;
  const outbox = () => db('outbox').orderBy('id');

  before(async () => ({ db, close } = await testDb()));
  after(() => close());

  test('validation names every problem and normalises what it keeps', () => {
    const fields = validateBusinessUser({ ...base, email: ' Per.Hansen@Firma.EXAMPLE ', mobile: '412 34 567' });
    assert.equal(fields.email, 'per.hansen@firma.example');
    assert.equal(fields.mobile, '+4741234567');
    assert.equal(fields.organization_number, '987654321');
    assert.throws(
      () => validateBusinessUser({ email: 'ikke-epost', mobile: '12', givenName: '', familyName: 'H', organizationNumber: '123', organizationName: '' }),
      (error: Error) =>
        error instanceof InputError &&
        ['email is not a valid address', 'mobile is not a valid number', 'given_name is required', 'organization_number must be 9 digits', 'organization_name is required'].every((p) => error.message.includes(p)),
    );
  });

  test('added as invited; the e-mail is the key, without regard to case; members are apart', async () => {
    const { account, added } = await upsertBusinessUser(db, { ...base, email: 'Eva@Firma.example' }, T0);
    assert.equal(added, true);
    assert.equal(account.kind, 'business');
    assert.equal(account.status, 'invited');
    const again = await upsertBusinessUser(db, { ...base, email: 'eva@FIRMA.example', organizationName: 'Nytt Navn AS' }, T0);
    assert.equal(again.added, false);
    assert.equal(again.account.id, account.id);
    assert.equal(again.account.organizationName, 'Nytt Navn AS');
    assert.equal((await findBusinessUserByEmail(db, ' EVA@firma.example'))!.id, account.id);

    await upsertMember(db, { memberNumber: '7000001', givenName: 'M', familyName: 'N', email: 'medlem@firma.example' });
    assert.equal(await findBusinessUserByEmail(db, 'medlem@firma.example'), undefined, 'a member is not a business user');
  });

  test('import: good lines saved, bad lines named, the report counts', async () => {
    await user({ email: 'finnes@firma.example' });
    const csv = [
      'email,mobile,given_name,family_name,organization_number,organization_name',
      'ny1@firma.example,41111111,Ada,Lund,987654321,"Firma, avd. Øst"',
      'FINNES@firma.example,,Bo,Berg,987654321,Firma AS',
      'ikke-en-adresse,,Cy,Dal,987654321,Firma AS',
      'ny2@firma.example,,Di,Eik,12,Firma AS',
      'ny3@firma.example,,Ed',
    ].join('\n');
    const report = await importBusinessUsers(db, csv, T0);
    assert.equal(report.added, 1);
    assert.equal(report.updated, 1);
    assert.deepEqual(report.rejected.map((r) => r.line), [4, 5, 6]);
    assert.match(report.rejected[0]!.reason, /email is not a valid address/);
    assert.match(report.rejected[1]!.reason, /organization_number/);
    assert.match(report.rejected[2]!.reason, /expected 6 fields/);
    assert.equal((await findBusinessUserByEmail(db, 'ny1@firma.example'))!.organizationName, 'Firma, avd. Øst');
    await assert.rejects(importBusinessUsers(db, 'email,given_name\nx@y.no,Z'), /header lacks mobile/);
  });

  test('import: `;` files, unchanged lines, a dry run, and the not yet activated listed for --invite', async () => {
    const csv = '\uFEFFemail;mobile;given_name;family_name;organization_number;organization_name\r\nsemi1@firma.example;;Fia;Ask;987654321;Firma AS\r\nsemi2@firma.example;;Gro;Bø;987654321;Firma AS\r\n';
    const dry = await importBusinessUsers(db, csv, T0, { dryRun: true });
    assert.deepEqual([dry.dryRun, dry.added, dry.invited], [true, 2, []]);
    assert.equal(await findBusinessUserByEmail(db, 'semi1@firma.example'), undefined, 'nothing saved');
    const first = await importBusinessUsers(db, csv, T0);
    assert.deepEqual([first.added, first.invited.sort()], [2, ['semi1@firma.example', 'semi2@firma.example']]);
    await db('accounts').where({ email: 'semi2@firma.example' }).update({ status: 'active' });
    const again = await importBusinessUsers(db, csv.replace('Gro;Bø', 'Gro;Bøe'), T0);
    assert.deepEqual([again.added, again.updated, again.unchanged, again.invited], [0, 1, 1, ['semi1@firma.example']]);
    assert.equal((await findBusinessUserByEmail(db, 'semi2@firma.example'))!.status, 'active', 'an import never changes the status');
  });

  test('list filters by status and organisation', async () => {
    const listed = await user({ organizationNumber: '111222333' });
    const all = await listBusinessUsers(db, { organizationNumber: '111 222 333' });
    assert.deepEqual(all.map((a) => a.id), [listed.id]);
    assert.ok((await listBusinessUsers(db, { status: 'invited' })).some((a) => a.id === listed.id));
    assert.ok(!(await listBusinessUsers(db, { status: 'active' })).some((a) => a.id === listed.id));
  });

  test('disable ends every session and token; enable brings the user back', async () => {
    const account = await user();
    await db('oidc_store').insert({ model: 'Session', id: `s-${account.id}`, payload: '{}', account_id: account.id, expires_at: T0 + DAY });
    const disabled = await disableBusinessUser(db, account.email!, T0);
    assert.equal(disabled.status, 'disabled');
    assert.equal((await db('oidc_store').where({ account_id: account.id })).length, 0);
    assert.equal((await enableBusinessUser(db, account.email!, T0)).status, 'invited', 'no password yet: invited');
    await assert.rejects(enableBusinessUser(db, account.email!, T0), /is not disabled/);
    await assert.rejects(disableBusinessUser(db, 'ingen@firma.example', T0), InputError);
  });

  /** Orders a code as the page does, then lets the worker fulfil it; returns the worker's outcome. */
  async function askFor(guard: SendGuard, channel: 'email' | 'sms', address: string, flowId: string) {
    await orderBusinessCode(db, { channel, address, purpose: BUSINESS_CODE_PURPOSES.activate, flowId, language: 'nb' }, { ip: '192.0.2.1' }, T0);
    let outcome: Awaited<ReturnType<typeof fulfilBusinessCodeOrder>>;
    await processDueOrders({ db, instance: 'test', now: () => T0, log: () => {} }, {
      business_code: async (order, claim) => {
        outcome = await fulfilBusinessCodeOrder(db, SECRET, guard, 600_000, order, claim, T0);
      },
      first_time_password: async () => assert.fail('no first-time password was ordered'),
    });
    assert.equal((await db('orders')).length, 0, 'the order is done');
    return outcome;
  }

  test('asking for a code does the same work for an unknown address, but queues no message', async () => {
    const allowAll = async () => ({ allowed: true as const });
    const account = await user({ mobile: '41230001' });
    const ask = (channel: 'email' | 'sms', address: string, flowId: string) => askFor(allowAll, channel, address, flowId);
    const before = (await outbox()).length;
    assert.deepEqual(await ask('email', 'ukjent@firma.example', 'f-unknown'), { accountId: null, sent: false, reason: 'unknown' });
    assert.equal((await outbox()).length, before);
    assert.equal((await db('one_time_codes').where({ flow_id: 'f-unknown' })).length, 1, 'a code row, bound to no one');

    assert.deepEqual(await ask('sms', '+4741230001', 'f-known'), { accountId: account.id, sent: true, reason: undefined });
    const [message] = (await outbox()).slice(-1);
    assert.equal(message.recipient, '+4741230001');
    assert.equal(message.kind, 'business_code_sms');
    assert.match(JSON.parse(message.params!).code, /^\d{6}$/);

    // A mobile two users share cannot say whose password is to be set.
    await user({ mobile: '41230002' });
    await user({ mobile: '41230002' });
    assert.deepEqual(await ask('sms', '+4741230002', 'f-shared'), { accountId: null, sent: false, reason: 'ambiguous' });
  });

  test('over a sending limit nothing is queued, and the code row is still written', async () => {
    const account = await user({ mobile: '41230003' });
    const refuse = async () => ({ allowed: false as const, reason: 'recipient' as const });
    const before = (await outbox()).length;
    const result = await askFor(refuse, 'sms', '+4741230003', 'f-limited');
    assert.deepEqual(result, { accountId: account.id, sent: false, reason: 'limited_recipient' });
    assert.equal((await outbox()).length, before);
    assert.equal((await db('one_time_codes').where({ flow_id: 'f-limited' })).length, 1);
  });

  test('invitations: only for users not yet active, hashed, single-use even in parallel, newest wins, expire', async () => {
    const account = await user();
    const options = { issuer: ISSUER, ttlMs: 7 * DAY, createdBy: 'cli:test' };
    await inviteBusinessUser(db, options, account.email!, T0);
    const tokenOf = async () => JSON.parse((await outbox()).slice(-1)[0].params!).link.slice(`${ISSUER}/business/invitation/`.length) as string;
    const first = await tokenOf();
    assert.match(first, /^[\w-]{43}$/);
    assert.ok(!JSON.stringify(await db('invitations')).includes(first), 'the token is stored hashed');

    await inviteBusinessUser(db, options, account.email!, T0 + 1);
    const second = await tokenOf();
    assert.equal(await findInvitation(db, first, T0 + 2), undefined, 'a new invitation revokes the older one');
    assert.equal((await findInvitation(db, second, T0 + 2))!.id, account.id);
    assert.equal(await findInvitation(db, second, T0 + 1 + 7 * DAY), undefined, 'expired');

    const results = await Promise.all([1, 2, 3].map(() => acceptInvitation(db, second, 'hk1$not-a-real-hash', T0 + 3)));
    assert.equal(results.filter(Boolean).length, 1, 'exactly one use');
    const activated = results.find(Boolean)!;
    assert.equal(activated.status, 'active');
    assert.equal(activated.emailVerified, true);
    assert.equal(await acceptInvitation(db, second, 'hk1$x', T0 + 4), undefined);

    await assert.rejects(inviteBusinessUser(db, options, account.email!, T0 + 5), /is active/);
    const disabled = await user();
    await disableBusinessUser(db, disabled.email!, T0);
    await assert.rejects(inviteBusinessUser(db, options, disabled.email!, T0), /is disabled/);
  });
  test('a password is not set on a user disabled after the code was accepted', async () => {
    const account = await user();
    await disableBusinessUser(db, account.email!, T0);
    assert.equal(await setBusinessPassword(db, account.id, 'hk1$x', 'email', T0, 'post@hk.no'), undefined);
    const after = await db('accounts').where({ id: account.id }).first();
    assert.equal(after!.status, 'disabled');
    assert.equal(after!.password_hash, null);
  });
});
