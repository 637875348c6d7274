import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { findMemberByNumber } from '../../../src/accounts/accounts.ts';
import { parseCsv } from '../../../src/accounts/csv-import.ts';
import { importMembers } from '../../../src/accounts/members.ts';
import { InputError } from '../../../src/errors.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';

let db: Db;
let close: () => Promise<void>;
before(async () => ({ db, close } = await testDb()));
after(() => close());

const HEADER = 'member_number,given_name,family_name,email,mobile,status';

test('parseCsv handles quotes, escaped quotes, commas, CRLF and a BOM', () => {
  const rows = parseCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\r\n\r\nlast,row');
  assert.deepEqual(rows, [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['x, y', 'say "hi"'] },
    { line: 4, fields: ['last', 'row'] },
  ]);
});

test('good lines are added, bad lines named and skipped', async () => {
  const csv = [
    HEADER,
    '3000001,Ola,Nordmann, Ola@Example.ORG ,+47 987 65 432,active',
    '3000002,Kari,Nordmann,,98765433,inactive',
    'abc,Per,Hansen,per@example.org,98765434,active',
    '3000003,,Hansen,per@example.org,98765434,active',
    '3000004,Anne,Li,not-an-email,98765435,active',
    '3000005,Bo,Ek,bo@example.org,12,active',
    '3000006,Siv,Ås,siv@example.org,98765436,retired',
    '3000007,Too,Few',
  ].join('\n');
  const report = await importMembers(db, csv);
  assert.equal(report.added, 2);
  assert.equal(report.updated, 0);
  assert.deepEqual(report.rejected.map((r) => r.line), [4, 5, 6, 7, 8, 9]);
  assert.match(report.rejected[0]!.reason, /member_number/);
  assert.match(report.rejected[1]!.reason, /given_name/);
  assert.match(report.rejected[2]!.reason, /email/);
  assert.match(report.rejected[3]!.reason, /mobile/);
  assert.match(report.rejected[4]!.reason, /status/);
  assert.match(report.rejected[5]!.reason, /fields/);

  const ola = await findMemberByNumber(db, '3000001');
  assert.equal(ola?.email, 'ola@example.org');
  assert.equal(ola?.mobile, '+4798765432');
  assert.equal((await findMemberByNumber(db, '3000002'))?.status, 'inactive');
  assert.equal(await findMemberByNumber(db, '3000004'), undefined);
});

test('importing again updates instead of duplicating, and keeps credentials', async () => {
  await db('accounts').where({ member_number: '3000001' }).update({ password_hash: 'hk1$keep' });
  const report = await importMembers(db, `${HEADER}\n3000001,Ola,Nordmann-Berg,ola@example.org,98765432,active`);
  assert.deepEqual(report, { added: 0, updated: 1, rejected: [] });
  const ola = await findMemberByNumber(db, '3000001');
  assert.equal(ola?.familyName, 'Nordmann-Berg');
  assert.equal(ola?.passwordHash, 'hk1$keep');
});

test('a legacy bcrypt hash column is accepted and validated', async () => {
  const hash = '$2b$04$' + 'a'.repeat(53);
  const report = await importMembers(db, `${HEADER},password_hash\n3000010,Eva,Berg,,,active,${hash}\n3000011,Eva,Berg,,,active,plaintext`);
  assert.equal(report.added, 1);
  assert.match(report.rejected[0]!.reason, /password_hash/);
  assert.equal((await findMemberByNumber(db, '3000010'))?.passwordHash, hash);
});

test('a file without the required header imports nothing', async () => {
  await assert.rejects(importMembers(db, 'member_number,name\n3000020,X'), InputError);
  await assert.rejects(importMembers(db, ''), InputError);
  assert.equal(await findMemberByNumber(db, '3000020'), undefined);
});
