// Unique violations are told by the driver's error code, on SQLite (node:sqlite) and PostgreSQL alike
// (TEST_DATABASE_URL picks the driver): real duplicate inserts into the real schema.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db } from '../../../src/storage/db.ts';
import { isUniqueViolation } from '../../../src/storage/unique-violation.ts';
import { testDb } from '../../support/db.ts';

let db: Db;
let close: () => Promise<void>;
before(async () => ({ db, close } = await testDb()));
after(() => close());

const account = (id: string, fields: Record<string, string> = {}) => ({ id, kind: 'member' as const, status: 'active', created_at: 1, updated_at: 1, ...fields });

/** The error `write` fails with. */
async function failure(write: () => Promise<unknown>): Promise<unknown> {
  try {
    await write();
  } catch (error) {
    return error;
  }
  assert.fail('the write went through');
}

test('a duplicate primary key is a unique violation', async () => {
  await db('accounts').insert(account('pk-1'));
  assert.equal(isUniqueViolation(await failure(() => db('accounts').insert(account('pk-1')))), true);
});

test('a duplicate in a unique column is a unique violation', async () => {
  await db('accounts').insert(account('u-1', { member_number: '4400001' }));
  assert.equal(isUniqueViolation(await failure(() => db('accounts').insert(account('u-2', { member_number: '4400001' })))), true);
});

test('a duplicate in a partial unique index is a unique violation, also from an update inside a transaction', async () => {
  await db('accounts').insert({ ...account('b-1', { email: 'a@firma.example' }), kind: 'business' });
  await db('accounts').insert({ ...account('b-2', { email: 'b@firma.example' }), kind: 'business' });
  const error = await failure(() => db.transaction((trx) => trx('accounts').where({ id: 'b-2' }).update({ email: 'a@firma.example' })));
  assert.equal(isUniqueViolation(error), true);
});

test('other failures are not', async () => {
  // NOT NULL (no status): a constraint too, but not a duplicate.
  const noStatus = () => db.raw("insert into accounts (id, kind, created_at, updated_at) values ('n-1', 'member', 1, 1)");
  assert.equal(isUniqueViolation(await failure(noStatus)), false);
  assert.equal(isUniqueViolation(await failure(() => db.raw('select * from no_such_table'))), false);
  for (const value of [undefined, null, 'duplicate key value violates unique constraint', new Error('UNIQUE constraint failed: accounts.id'), { code: 2067 }]) {
    assert.equal(isUniqueViolation(value), false);
  }
});
