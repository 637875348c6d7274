// The caseworker's view of members (search, masks) and the console's first-time password send:
// the same core function as the CLI, capped per caseworker per day, also under a crowd.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { upsertMember } from '../../../src/accounts/accounts.ts';
import { createCounterStore, type CounterStore } from '../../../src/security/counters.ts';
import { createSendGuard } from '../../../src/security/send-limits.ts';
import { sendFirstTimePasswordFromConsole } from '../../../src/staff/caseworker.ts';
import { maskEmailForCaseworker, maskMobileForCaseworker, searchMembers } from '../../../src/staff/member-lookup.ts';
import { addStaff } from '../../../src/staff/staff.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';
import { testSettings } from '../../support/idp.ts';

describe('caseworker core', () => {
  let db: Db;
  let close: () => Promise<void>;
  let counters: CounterStore;
  const settings = testSettings({ CONSOLE_SMS_PER_CASEWORKER_DAY: '3' });

  before(async () => {
    ({ db, close } = await testDb());
    counters = createCounterStore(db, settings);
    for (let i = 0; i < 10; i++) {
      await upsertMember(db, { memberNumber: String(3000 + i), givenName: i === 0 ? 'Åse_%' : 'Ola', familyName: `Nordmann${i}`, mobile: `4123440${i}`, email: `ola${i}@example.org` });
    }
  });
  after(async () => {
    await counters.close();
    await close();
  });

  test('masks show enough to recognise, not to copy', () => {
    assert.equal(maskMobileForCaseworker('+4798765432'), '+47 ••• •• 432');
    assert.equal(maskMobileForCaseworker('+46701234567'), '+46 ••• 567');
    assert.equal(maskEmailForCaseworker('kari@example.org'), 'k•••@example.org');
  });

  test('search by member number, mobile, e-mail and name words; wildcards are plain characters', async () => {
    assert.deepEqual((await searchMembers(db, '3003')).map((m) => m.memberNumber), ['3003']);
    assert.deepEqual((await searchMembers(db, '412 34 403')).map((m) => m.memberNumber), ['3003']);
    assert.deepEqual((await searchMembers(db, '41234403')).map((m) => m.memberNumber), ['3003']);
    assert.deepEqual((await searchMembers(db, 'OLA3@example.org')).map((m) => m.memberNumber), ['3003']);
    assert.deepEqual((await searchMembers(db, 'ola nordmann3')).map((m) => m.memberNumber), ['3003']);
    assert.equal((await searchMembers(db, 'ola')).length, 9);
    assert.deepEqual((await searchMembers(db, '_%')).map((m) => m.memberNumber), ['3000'], '_ and % match themselves');
    assert.deepEqual(await searchMembers(db, '   '), []);
    const [found] = await searchMembers(db, '3001');
    assert.deepEqual([found!.maskedMobile, found!.maskedEmail, found!.hasLogin], ['+47 ••• •• 401', 'o•••@example.org', false]);
  });

  test('a crowd of sends by one caseworker: no more than the daily cap go out', async () => {
    const staff = await addStaff(db, { email: 'kari@hk.example', name: 'Kari', role: 'caseworker' });
    const guard = createSendGuard(counters, settings.sendLimits, Date.now, () => {});
    const deps = { db, settings, sendGuard: guard, counters, now: Date.now };
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => sendFirstTimePasswordFromConsole(deps, staff, String(3000 + i), { ip: '127.0.0.1', userAgent: 'test' })),
    );
    assert.equal(results.filter((r) => r.sent).length, 3);
    assert.equal(results.filter((r) => !r.sent && r.reason === 'caseworker_cap').length, 7);
    assert.equal((await db('outbox').where({ kind: 'first-time-password' })).length, 3);
    // A send that goes nowhere does not use up the day.
    const other = await addStaff(db, { email: 'per@hk.example', name: 'Per', role: 'caseworker' });
    const unknown = await sendFirstTimePasswordFromConsole(deps, other, '9999999', { ip: '127.0.0.1', userAgent: 'test' });
    assert.deepEqual(unknown, { sent: false, reason: 'unknown_member' });
    assert.equal((await db('console_send_counts').where({ staff_id: other.id }).first())!.sent, 0);
  });
});
