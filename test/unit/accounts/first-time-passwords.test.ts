import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FIRST_TIME_PASSWORD_ALPHABET,
  formatFirstTimePassword,
  fulfilFirstTimePasswordOrder,
  orderFirstTimePassword,
  generateFirstTimePassword,
  maskMobile,
  normalizeContact,
  normalizeFirstTimePasswordInput,
} from '../../../src/accounts/first-time-passwords.ts';
import { upsertMember } from '../../../src/accounts/accounts.ts';
import type { Order } from '../../../src/delivery/orders.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';

test('a first-time password: 12 characters, no look-alikes, no capitals, never the same twice', () => {
  const passwords = Array.from({ length: 2000 }, generateFirstTimePassword);
  assert.equal(new Set(passwords).size, passwords.length);
  for (const password of passwords) {
    assert.match(password, /^[23456789abcdefghjkmnpqrstuvwxyz]{12}$/);
  }
  assert.doesNotMatch(FIRST_TIME_PASSWORD_ALPHABET, /[01oilA-Z]/);
  // Every character of the alphabet is used (a CSPRNG over the whole alphabet, not a slice of it).
  const used = new Set(passwords.join(''));
  assert.equal(used.size, FIRST_TIME_PASSWORD_ALPHABET.length);
});

test('the characters are drawn evenly (chi-square over 24,000 characters)', () => {
  const text = Array.from({ length: 2000 }, generateFirstTimePassword).join('');
  const expected = text.length / FIRST_TIME_PASSWORD_ALPHABET.length;
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  const chi = [...FIRST_TIME_PASSWORD_ALPHABET].reduce((sum, c) => sum + ((counts.get(c) ?? 0) - expected) ** 2 / expected, 0);
  // 30 degrees of freedom: 67.6 is the 0.01 % critical value (a fair generator fails 1 run in 10,000).
  assert.ok(chi < 67.6, `chi-square ${chi.toFixed(1)}`);
});

test('shown in groups of four; typed with any case, spaces or dashes', () => {
  assert.equal(formatFirstTimePassword('abcdefghjkmn'), 'abcd efgh jkmn');
  assert.equal(normalizeFirstTimePasswordInput(' ABCD-efgh jkmn\t'), 'abcdefghjkmn');
  assert.equal(normalizeFirstTimePasswordInput('ａｂｃｄ'), 'abcd', 'full-width letters from a phone keyboard');
});

test('contacts compare in the form HK stores them', () => {
  assert.equal(normalizeContact('sms', '+47 987 65 432'), '+4798765432');
  assert.equal(normalizeContact('sms', '987-65-432'), '+4798765432');
  assert.equal(normalizeContact('sms', '0047 98765432'), '+4798765432');
  assert.equal(normalizeContact('sms', 'ola@example.org'), undefined);
  assert.equal(normalizeContact('email', '  Ola.Nordmann@Example.ORG '), 'ola.nordmann@example.org');
  assert.equal(normalizeContact('email', 'a@b.no\r\nBcc: x@evil.example'), undefined);
});

test('a caseworker sees only the end of the number', () => {
  assert.equal(maskMobile('+4798765432'), '…432');
});

test('two orders of one member fulfilled out of order (two instances): the later order stands, the earlier sends nothing', async () => {
  const { db, close } = await testDb();
  try {
    const T0 = 1_800_000_000_000;
    const settings = { firstTimePasswordTtl: 86400, wipeCredentials: 'on-order' as const, passwordPepper: 'test-pepper-0123456789abcdefghijklmnopqrstuv', passwordMinLength: 12 };
    const allowAll = async () => ({ allowed: true as const });
    const { account } = await upsertMember(db, { memberNumber: '3000001', givenName: 'Kari', familyName: 'Nordmann', mobile: '41111111' });
    const order = (at: number) => orderFirstTimePassword(db, { memberNumber: '3000001', channel: 'sms', contact: '41111111', language: 'nb' }, {}, at);
    await order(T0);
    await order(T0 + 1000);
    const [earlier, later] = (await db('orders').orderBy('id')).map(
      (row: Record<string, any>): Order => ({ id: Number(row.id), kind: row.kind, memberNumber: row.member_number, channel: row.channel, contact: row.contact, language: row.language, ip: null, clientId: null, context: {}, createdAt: Number(row.created_at) }),
    );
    const claim = (id: number) => async (trx: Db) => (await trx('orders').where({ id }).delete()) === 1;
    const fulfil = (o: Order) => fulfilFirstTimePasswordOrder(db, settings, allowAll, o, claim(o.id), T0 + 2000);
    assert.deepEqual(await fulfil(later!), { sent: true });
    const stands = await db('first_time_passwords').where({ account_id: account.id }).first('id');
    assert.deepEqual(await fulfil(earlier!), { sent: false, reason: 'superseded' });
    assert.equal((await db('first_time_passwords').where({ account_id: account.id }).first('id'))!.id, stands!.id, 'the later one stands');
    assert.equal((await db('outbox').where({ account_id: account.id })).length, 1, 'one message');
    assert.equal(await fulfil(later!), undefined, 'an order already done is not done again');
  } finally {
    await close();
  }
});
