import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { findMemberByNumber } from '../../../src/accounts/accounts.ts';
import { Readable } from 'node:stream';
import { detectDelimiter } from '../../../src/accounts/csv-import.ts';
import { importMembers } from '../../../src/accounts/members.ts';
import { InputError } from '../../../src/errors.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';

let db: Db;
let close: () => Promise<void>;
before(async () => ({ db, close } = await testDb()));
after(() => close());

const HEADER = 'member_number,given_name,family_name,email,mobile,status';

test('quotes, escaped quotes, commas, line breaks in a field, CRLF, blank lines and a BOM', async () => {
  const csv = `\uFEFF${HEADER}\r\n"3100001","Ola ""Olsen""","Nordmann, d.y.",,,active\r\n\r\n3100002,"Kari\nAnne",Li,,,active\r\n3100003,Bad,,,,active\r\n`;
  const report = await importMembers(db, csv);
  assert.equal(report.added, 1);
  // A name may not hold a line break; the line after it is still counted right.
  assert.deepEqual(report.rejected.map((r) => r.line), [4, 6], 'a record is named by the line it starts on');
  assert.match(report.rejected[0]!.reason, /control characters/);
  const ola = await findMemberByNumber(db, '3100001');
  assert.deepEqual([ola?.givenName, ola?.familyName], ['Ola "Olsen"', 'Nordmann, d.y.']);
});

test('the separator is what the header uses: `;` from a Norwegian spreadsheet, `,` otherwise', async () => {
  assert.equal(detectDelimiter('member_number;given_name;family_name;email;mobile;status'), ';');
  assert.equal(detectDelimiter(HEADER), ',');
  const semicolons = `\uFEFF${HEADER.replace(/,/g, ';')}\n3200001;Åse;Berg, eldre;aase@example.org;98765400;active\n`;
  // Split inside the header: the separator is found across chunks.
  const report = await importMembers(db, Readable.from([Buffer.from(semicolons.slice(0, 30)), Buffer.from(semicolons.slice(30))]));
  assert.deepEqual([report.added, report.rejected], [1, []]);
  assert.equal((await findMemberByNumber(db, '3200001'))?.familyName, 'Berg, eldre');
});

test('unchanged lines are counted and not written; a dry run reports and saves nothing', async () => {
  const csv = `${HEADER}\n3300001,Per,Ek,per@example.org,98765401,active\n3300002,Liv,Ek,,,active`;
  const first = await importMembers(db, csv);
  assert.deepEqual([first.added, first.updated, first.unchanged], [2, 0, 0]);
  const before = await db('accounts').where({ member_number: '3300001' }).first('updated_at');
  const again = await importMembers(db, csv, { now: Date.now() + 60_000 });
  assert.deepEqual([again.added, again.updated, again.unchanged], [0, 0, 2]);
  assert.equal((await db('accounts').where({ member_number: '3300001' }).first('updated_at'))!.updated_at, before!.updated_at, 'nothing written');

  const changed = `${HEADER}\n3300001,Per,Ek,per.ek@example.org,98765401,inactive\n3300002,Liv,Ek,,,active\n3300003,Ny,Person,,,active\n3300003,Ny,Person,,98765402,active`;
  const dry = await importMembers(db, changed, { dryRun: true });
  assert.deepEqual([dry.dryRun, dry.added, dry.updated, dry.unchanged], [true, 1, 2, 1]);
  assert.deepEqual(dry.changes, [
    { line: 2, key: '3300001', action: 'update', fields: ['email', 'status'] },
    { line: 4, key: '3300003', action: 'add', fields: [] },
    { line: 5, key: '3300003', action: 'update', fields: ['mobile'] },
  ]);
  assert.equal((await findMemberByNumber(db, '3300001'))?.email, 'per@example.org', 'the dry run saved nothing');
  assert.equal(await findMemberByNumber(db, '3300003'), undefined);

  const real = await importMembers(db, changed);
  assert.deepEqual([real.added, real.updated, real.unchanged], [1, 2, 1]);
  assert.equal((await findMemberByNumber(db, '3300003'))?.mobile, '+4798765402', 'a key twice in the file: the last line wins');
});

test('batches: every batch is written, whatever the batch size', async () => {
  const lines = Array.from({ length: 23 }, (_, i) => `${3400000 + i},Navn${i},Etternavn,,,active`);
  const progress: number[] = [];
  const report = await importMembers(db, [HEADER, ...lines, '3499999,,,,,active'].join('\n'), { batchSize: 5, onProgress: (p) => progress.push(p.lines) });
  assert.deepEqual([report.added, report.rejected.map((r) => r.line)], [23, [25]]);
  assert.equal(Number((await db('accounts').where('member_number', 'like', '3400%').count({ n: '*' }))[0]!.n), 23);
  assert.equal(progress.at(-1), 25);
  assert.ok(progress.length >= 5, 'progress after each batch');
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
  assert.deepEqual([report.added, report.updated, report.unchanged, report.rejected], [0, 1, 0, []]);
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
