// Demo seeding adds what is missing and never changes an account that already exists.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { findMemberByNumber, setPasswordHash, setUsername, upsertMember } from '../../src/accounts/accounts.ts';
import { findBusinessUserByEmail, upsertBusinessUser } from '../../src/accounts/business-users.ts';
import { createPasswordHasher } from '../../src/accounts/passwords.ts';
import { DEMO_BUSINESS_USER, DEMO_MEMBER, seedDemo } from '../../src/demo.ts';
import type { Db } from '../../src/storage/db.ts';
import { testDb } from '../support/db.ts';

const hasher = createPasswordHasher('pepper-0123456789abcdefghijklmnopqrstuvwxyz', 4);
const ISSUER = 'http://localhost:3000';
let db: Db;
let close: () => Promise<void>;
beforeEach(async () => ({ db, close } = await testDb()));
afterEach(() => close());

const realMember = { memberNumber: DEMO_MEMBER.memberNumber, givenName: 'Kari', familyName: 'Ekte', email: 'kari@ekte.example', mobile: '+4791234567', status: 'active' };

test('an empty database gets the demo member, who signs in with the published password', async () => {
  const lines = await seedDemo(db, hasher, ISSUER);
  const member = (await findMemberByNumber(db, DEMO_MEMBER.memberNumber))!;
  assert.equal(member.username, DEMO_MEMBER.username);
  assert.equal((await hasher.verify(DEMO_MEMBER.password, member.passwordHash)).ok, true);
  assert.match(lines.join('\n'), /Demo member: member number 1000001 \(or username demo\.medlem\), password /);
});

test('a real member with the demo member number is left exactly as it is, password or none', async () => {
  for (const password of ['kari-sitt-eget-passord', null]) {
    const { account } = await upsertMember(db, realMember);
    if (password) await setPasswordHash(db, account.id, await hasher.hash(password));
    else await db('accounts').where({ id: account.id }).update({ password_hash: null, username: null, username_key: null });
    const before = await db('accounts').where({ id: account.id }).first();
    const lines = await seedDemo(db, hasher, ISSUER);
    assert.deepEqual(await db('accounts').where({ id: account.id }).first(), before);
    assert.equal((await hasher.verify(DEMO_MEMBER.password, (await findMemberByNumber(db, DEMO_MEMBER.memberNumber))!.passwordHash)).ok, false);
    assert.match(lines.join('\n'), /Demo member not seeded: member number 1000001 belongs to an existing member/);
    assert.doesNotMatch(lines.join('\n'), new RegExp(DEMO_MEMBER.password));
  }
});

test('a restart keeps what the demo member changed; a taken demo username does not stop the seeding', async () => {
  const { account: other } = await upsertMember(db, { ...realMember, memberNumber: '1000002' });
  await setUsername(db, other.id, DEMO_MEMBER.username);
  const lines = await seedDemo(db, hasher, ISSUER);
  const demo = (await findMemberByNumber(db, DEMO_MEMBER.memberNumber))!;
  assert.equal(demo.username, null, 'the name stays with the member who had it');
  assert.match(lines.join('\n'), /Demo member: member number 1000001, password /);
  await setPasswordHash(db, demo.id, await hasher.hash('endret-av-utvikleren'));
  await seedDemo(db, hasher, ISSUER);
  assert.equal((await hasher.verify('endret-av-utvikleren', (await findMemberByNumber(db, DEMO_MEMBER.memberNumber))!.passwordHash)).ok, true);
});

test('an existing business user with the demo address is not given the demo password, nor is it printed', async () => {
  await upsertBusinessUser(db, { email: DEMO_BUSINESS_USER.email, givenName: 'Ekte', familyName: 'Bruker', organizationNumber: '987654321', organizationName: 'Ekte AS' });
  const lines = (await seedDemo(db, hasher, ISSUER)).join('\n');
  const user = (await findBusinessUserByEmail(db, DEMO_BUSINESS_USER.email))!;
  assert.equal(user.givenName, 'Ekte');
  assert.equal(user.passwordHash, null);
  assert.match(lines, /Demo business user not seeded: demo\.bedrift@example\.org belongs to an existing business user/);
  assert.doesNotMatch(lines, new RegExp(DEMO_BUSINESS_USER.password));
});

test('the seeded demo business user is printed with its password, on the first start and after a restart', async () => {
  for (let start = 0; start < 2; start++) {
    const lines = (await seedDemo(db, hasher, ISSUER)).join('\n');
    assert.match(lines, new RegExp(`Demo business user: e-mail demo\\.bedrift@example\\.org, password ${DEMO_BUSINESS_USER.password}`));
    assert.match(lines, /Demo business user to activate: ny\.bedrift@example\.org/);
  }
});
