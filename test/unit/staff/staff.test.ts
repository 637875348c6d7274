// Staff accounts in the core and the CLI: invitation by e-mail, enrolment (password + TOTP confirmed
// by a code + ten recovery codes), TOTP replay refused, recovery codes single-use under a crowd,
// disable/enable/reset. On SQLite, and on PostgreSQL with TEST_DATABASE_URL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TOTP } from 'otpauth';
import { latestAudit } from '../../../src/audit/audit.ts';
import { runCli } from '../../../src/cli/run.ts';
import { choosePassword, confirmEnrolment, findEnrolment, staffInvitationPath } from '../../../src/staff/enrolment.ts';
import { acceptTotpStep, matchingStep, openTotpSecret, redeemRecoveryCode, recoveryCodesLeft } from '../../../src/staff/second-factor.ts';
import { runPurge } from '../../../src/maintenance/purge.ts';
import { findStaffByEmail, staffCanSignIn } from '../../../src/staff/staff.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';
import { testSettings } from '../../support/idp.ts';

const settings = testSettings({ ISSUER: 'https://login.hk.example', TRUST_PROXY_HOPS: '1' });
const secrets = { keyEncryptionKey: settings.keyEncryptionKey, pepper: settings.passwordPepper };
const codeAt = (secret: string, at: number) => new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: at });

describe('staff accounts', () => {
  let db: Db;
  let close: () => Promise<void>;
  let out: string[] = [];
  let err: string[] = [];
  const run = (...argv: string[]) => {
    out = [];
    err = [];
    return runCli(['staff', ...argv], { db, settings, out: (l) => out.push(l), err: (l) => err.push(l), actor: 'admin:ola' });
  };
  const tokenFor = async (email: string) => {
    const [message] = await db('outbox').where({ kind: 'staff_invitation', recipient: email }).orderBy('id', 'desc').limit(1);
    const link: string = JSON.parse(message.params!).link;
    assert.ok(link.startsWith(`https://login.hk.example${staffInvitationPath}`));
    return link.slice(link.lastIndexOf('/') + 1);
  };

  before(async () => ({ db, close } = await testDb()));
  after(() => close());

  test('staff add: an invited staff member, an invitation e-mail with a single-use link, audited', async () => {
    assert.equal(await run('add', '--email', 'Kari@HK.example', '--name', 'Kari Saksbehandler', '--role', 'caseworker'), 0);
    assert.equal(out[0], 'added caseworker kari@hk.example');
    assert.match(out[1]!, /^invited kari@hk\.example \(enrolment link valid until /);
    const staff = (await findStaffByEmail(db, 'kari@hk.example'))!;
    assert.equal(staff.status, 'invited');
    assert.equal(staffCanSignIn(staff), false);
    assert.ok(await tokenFor('kari@hk.example'));
    assert.equal((await latestAudit(db, 1, { event: 'staff.added' }))[0]!.actor, 'admin:ola');
    assert.equal((await db('staff')).length, 1);
    assert.equal((await db('accounts')).length, 0, 'staff are not members or business users');
  });

  test('bad input: a clear error and nothing written', async () => {
    assert.equal(await run('add', '--email', 'nope', '--name', '', '--role', 'boss'), 65);
    assert.match(err[0]!, /email is not a valid address.*name is required.*role must be caseworker or admin/);
    assert.equal(await run('add', '--email', 'kari@hk.example', '--name', 'Igjen', '--role', 'admin'), 65);
    assert.match(err[0]!, /already a staff member/);
    assert.equal(await run('add', '--email', 'rlo@hk.example', '--name', 'Evil\u202eName', '--role', 'admin'), 65, 'no bidirectional overrides in names');
    assert.equal((await db('staff')).length, 1);
  });

  test('enrolment: nothing is saved until a TOTP code confirms it; ten recovery codes; the link is single-use', async () => {
    const token = await tokenFor('kari@hk.example');
    const now = Date.now();
    assert.equal((await findEnrolment(db, token, secrets.keyEncryptionKey, now))!.passwordChosen, false);
    assert.equal(await confirmEnrolment(db, token, '123456', secrets, now), undefined, 'no code before a password');
    assert.equal(await choosePassword(db, token, 'hk1$fake-hash', secrets.keyEncryptionKey, now), true);
    const { totpSecret } = (await findEnrolment(db, token, secrets.keyEncryptionKey, now))!;
    assert.match(totpSecret!, /^[A-Z2-7]{32}$/);
    const stored = await db('staff_invitations').whereNotNull('pending_totp_secret').first();
    assert.ok(!stored!.pending_totp_secret!.includes(totpSecret!), 'the secret is stored encrypted');
    assert.equal(await confirmEnrolment(db, token, '000000' === codeAt(totpSecret!, now) ? '111111' : '000000', secrets, now), 'wrong_code');
    assert.equal((await findStaffByEmail(db, 'kari@hk.example'))!.status, 'invited', 'a wrong code saves nothing');

    const code = codeAt(totpSecret!, now);
    const results = await Promise.all(Array.from({ length: 5 }, () => confirmEnrolment(db, token, code, secrets, now)));
    const won = results.filter((r) => typeof r === 'object');
    assert.equal(won.length, 1, 'one request of a crowd completes the enrolment');
    const { staff, recoveryCodes } = won[0] as { staff: { status: string; totpSecret: string; id: string }; recoveryCodes: string[] };
    assert.equal(staff.status, 'active');
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    assert.equal(openTotpSecret(staff.totpSecret, staff.id, secrets.keyEncryptionKey), totpSecret);
    assert.equal(await findEnrolment(db, token, secrets.keyEncryptionKey, now), undefined, 'the link is used up');
    // The confirming code's step is spent: the same code cannot sign in afterwards.
    assert.equal(await acceptTotpStep(db, staff.id, matchingStep(totpSecret!, code, now)!), false);
    const hashes = (await db('staff_recovery_codes').where({ staff_id: staff.id })).map((r: { code_hash: string }) => r.code_hash);
    for (const c of recoveryCodes) assert.ok(!hashes.includes(c) && !hashes.some((h: string) => h.includes(c.replace('-', ''))));
  });

  test('a TOTP step is accepted once, also by a crowd; a later step is accepted', async () => {
    const staff = (await findStaffByEmail(db, 'kari@hk.example'))!;
    const secret = openTotpSecret(staff.totpSecret!, staff.id, secrets.keyEncryptionKey);
    const later = Date.now() + 60_000;
    const step = matchingStep(secret, codeAt(secret, later), later)!;
    const results = await Promise.all(Array.from({ length: 10 }, () => acceptTotpStep(db, staff.id, step)));
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal(await acceptTotpStep(db, staff.id, step - 1), false, 'an older step is refused too');
    assert.equal(await acceptTotpStep(db, staff.id, step + 1), true);
    assert.equal(matchingStep(secret, 'abcdef', later), undefined);
  });

  test('a recovery code is redeemed once, also by a crowd', async () => {
    const staff = (await findStaffByEmail(db, 'kari@hk.example'))!;
    // Make known codes: reset and enrol again.
    assert.equal(await run('reset', 'kari@hk.example'), 0);
    const token = await tokenFor('kari@hk.example');
    await choosePassword(db, token, 'hk1$fake-hash', secrets.keyEncryptionKey, Date.now());
    const { totpSecret } = (await findEnrolment(db, token, secrets.keyEncryptionKey, Date.now()))!;
    const done = await confirmEnrolment(db, token, codeAt(totpSecret!, Date.now()), secrets, Date.now());
    assert.equal(typeof done, 'object');
    const [first, second] = (done as { recoveryCodes: string[] }).recoveryCodes;
    const results = await Promise.all(Array.from({ length: 10 }, () => redeemRecoveryCode(db, staff.id, first!, secrets.pepper, Date.now())));
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal(await redeemRecoveryCode(db, staff.id, second!.toUpperCase().replace('-', ' '), secrets.pepper, Date.now()), true, 'typed loosely');
    assert.equal(await redeemRecoveryCode(db, staff.id, 'aaaaa-aaaaa', secrets.pepper, Date.now()), false);
    assert.equal(await recoveryCodesLeft(db, staff.id), 8);
  });

  test('list, disable (ends sessions, revokes links), enable, reset', async () => {
    assert.equal(await run('list'), 0);
    assert.match(out[0]!, /^kari@hk\.example\s+caseworker\s+active\s+Kari Saksbehandler$/);
    const staff = (await findStaffByEmail(db, 'kari@hk.example'))!;
    await db('console_sessions').insert({ id_hash: 'x', staff_id: staff.id, created_at: Date.now(), last_seen_at: Date.now() });
    assert.equal(await run('disable', 'kari@hk.example'), 0);
    assert.equal((await findStaffByEmail(db, 'kari@hk.example'))!.status, 'disabled');
    assert.ok((await db('console_sessions').where({ id_hash: 'x' }).first())!.ended_at);
    assert.equal(await run('reset', 'kari@hk.example'), 65, 'a disabled staff member is enabled first');
    assert.equal(await run('enable', 'kari@hk.example'), 0);
    assert.equal((await findStaffByEmail(db, 'kari@hk.example'))!.status, 'active');
    assert.equal(await run('reset', 'kari@hk.example'), 0);
    const reset = (await findStaffByEmail(db, 'kari@hk.example'))!;
    assert.deepEqual([reset.status, reset.passwordHash, reset.totpSecret], ['invited', null, null]);
    assert.equal(await recoveryCodesLeft(db, staff.id), 0);
    assert.ok(await tokenFor('kari@hk.example'), 'reset e-mails a new enrolment link');
    assert.equal(await run('disable', 'nobody@hk.example'), 65);
  });

  test('the purge removes ended invitations, old console sessions and past days\' send counts, nothing current', async () => {
    const now = Date.now();
    const day = 24 * 3600_000;
    await db('staff_invitations').insert({ id: 'old-inv', staff_id: 's', token_hash: 'old', created_at: now - 40 * day, expires_at: now - 31 * day });
    await db('console_sessions').insert([
      { id_hash: 'old-session', staff_id: 's', created_at: now - 2 * day, last_seen_at: now - 2 * day },
      { id_hash: 'new-session', staff_id: 's', created_at: now, last_seen_at: now },
    ]);
    await db('console_send_counts').insert([
      { staff_id: 's', day: '2020-01-01', sent: 3 },
      { staff_id: 's', day: new Date(now).toISOString().slice(0, 10), sent: 1 },
    ]);
    const report = await runPurge(db, { now, auditRetentionDays: 400 });
    assert.deepEqual(report.ran && [report.purged['staff-invitations'], report.purged['console-sessions'], report.purged['console-send-counts']], [1, 1, 1]);
    assert.deepEqual((await db('console_sessions').where({ staff_id: 's' })).map((r: { id_hash: string }) => r.id_hash), ['new-session']);
    assert.equal((await db('console_send_counts').where({ staff_id: 's' })).length, 1);
    assert.ok((await db('staff_invitations')).length > 0, 'live invitations stay');
  });
});
