import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { purgesNamed, runPurge } from '../../../src/maintenance/purge.ts';
import { createAdapterFactory, endEverythingOf } from '../../../src/oidc/adapter.ts';
import { digestOf } from '../../../src/security/digest.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';

let db: Db;
let close: () => Promise<void>;
let clock = 1_000_000;
const adapter = (model: string) => createAdapterFactory(db, () => clock)(model) as any;

before(async () => ({ db, close } = await testDb()));
after(() => close());

test('upsert then find returns the payload; upsert replaces', async () => {
  const sessions = adapter('Session');
  await sessions.upsert('s1', { uid: 'u1', accountId: 'a1', kind: 'Session' }, 60);
  assert.deepEqual(await sessions.find('s1'), { uid: 'u1', accountId: 'a1', kind: 'Session' });
  await sessions.upsert('s1', { uid: 'u1', accountId: 'a1', changed: true }, 60);
  assert.equal((await sessions.find('s1')).changed, true);
  assert.equal(await sessions.find('nope'), undefined);
});

test('ids are stored only as hashes: the database holds no token or session value', async () => {
  await adapter('AccessToken').upsert('the-token-value', { a: 1 }, 60);
  const rows = JSON.stringify(await db('oidc_store').select());
  assert.ok(!rows.includes('the-token-value'));
  assert.deepEqual(await adapter('AccessToken').find('the-token-value'), { a: 1 });
});

test('models are separate namespaces', async () => {
  await adapter('AccessToken').upsert('same-id', { a: 1 }, 60);
  await adapter('RefreshToken').upsert('same-id', { b: 2 }, 60);
  assert.deepEqual(await adapter('AccessToken').find('same-id'), { a: 1 });
  assert.deepEqual(await adapter('RefreshToken').find('same-id'), { b: 2 });
});

test('findByUid and findByUserCode', async () => {
  await adapter('Session').upsert('s2', { uid: 'uid-2' }, 60);
  await adapter('DeviceCode').upsert('d1', { userCode: 'ABCD-EFGH' }, 60);
  assert.deepEqual(await adapter('Session').findByUid('uid-2'), { uid: 'uid-2' });
  assert.deepEqual(await adapter('DeviceCode').findByUserCode('ABCD-EFGH'), { userCode: 'ABCD-EFGH' });
});

test('consume marks the row consumed without deleting it', async () => {
  const codes = adapter('AuthorizationCode');
  await codes.upsert('c1', { grantId: 'g1' }, 60);
  await codes.consume('c1');
  const found = await codes.find('c1');
  assert.equal(found.grantId, 'g1');
  assert.ok(found.consumed, 'consumed is truthy');
});

test('parallel consumes: one wins, the others get invalid_grant and the grant is revoked', async () => {
  await adapter('Grant').upsert('g-race', { accountId: 'acc-R' }, 60);
  await adapter('AuthorizationCode').upsert('c-race', { grantId: 'g-race' }, 60);
  await adapter('AccessToken').upsert('t-race', { grantId: 'g-race' }, 60);
  await adapter('Session').upsert('s-race', { accountId: 'acc-R', grantId: 'g-race' }, 60);
  const results = await Promise.allSettled(Array.from({ length: 8 }, () => adapter('AuthorizationCode').consume('c-race')));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one consume wins');
  for (const r of results.filter((r) => r.status === 'rejected')) assert.equal((r as PromiseRejectedResult).reason.error, 'invalid_grant');
  assert.equal(await adapter('Grant').find('g-race'), undefined, 'the grant is revoked');
  assert.equal(await adapter('AccessToken').find('t-race'), undefined, 'its tokens too');
  assert.ok(await adapter('Session').find('s-race'), 'the session is not a token of the grant');
});

test('destroy deletes; revokeByGrantId deletes every row of that grant in that model', async () => {
  const tokens = adapter('AccessToken');
  await tokens.upsert('t1', { grantId: 'g9' }, 60);
  await tokens.upsert('t2', { grantId: 'g9' }, 60);
  await tokens.upsert('t3', { grantId: 'other' }, 60);
  await adapter('RefreshToken').upsert('r1', { grantId: 'g9' }, 60);
  await tokens.destroy('t3');
  assert.equal(await tokens.find('t3'), undefined);
  await tokens.revokeByGrantId('g9');
  assert.equal(await tokens.find('t1'), undefined);
  assert.equal(await tokens.find('t2'), undefined);
  assert.deepEqual(await adapter('RefreshToken').find('r1'), { grantId: 'g9' }, 'other models are left to their own revoke call');
});

test('expired rows are not returned and are purged', async () => {
  const tokens = adapter('AccessToken');
  await tokens.upsert('short', { x: 1 }, 10);
  await tokens.upsert('forever', { x: 2 });
  clock += 60_000;
  assert.equal(await tokens.find('short'), undefined);
  const report = await runPurge(db, { now: clock, auditRetentionDays: 400, targets: purgesNamed('oidc') });
  assert.ok(report.ran && report.purged.oidc! >= 1);
  assert.equal(await db('oidc_store').where({ id: digestOf('short') }).first(), undefined);
  assert.deepEqual(await tokens.find('forever'), { x: 2 }, 'rows without expiry stay');
});

test('endEverythingOf removes sessions, grants and tokens of one account only', async () => {
  await adapter('Session').upsert('sA', { accountId: 'acc-A' }, 60);
  await adapter('Grant').upsert('gA', { accountId: 'acc-A' }, 60);
  await adapter('Grant').upsert('gA-offline', { accountId: 'acc-A' }, 60);
  await adapter('RefreshToken').upsert('rA', { accountId: 'acc-A', grantId: 'gA' }, 60);
  await adapter('AccessToken').upsert('aA', { accountId: 'acc-A', grantId: 'gA' }, 60);
  await adapter('RefreshToken').upsert('rA-offline', { accountId: 'acc-A', grantId: 'gA-offline' }, 60);
  await adapter('Session').upsert('sB', { accountId: 'acc-B' }, 60);
  await adapter('Grant').upsert('gB', { accountId: 'acc-B' }, 60);
  await adapter('AccessToken').upsert('aB', { accountId: 'acc-B', grantId: 'gB' }, 60);
  await endEverythingOf(db, 'acc-A', clock);
  for (const [model, id] of [['Session', 'sA'], ['Grant', 'gA'], ['Grant', 'gA-offline'], ['RefreshToken', 'rA'], ['AccessToken', 'aA'], ['RefreshToken', 'rA-offline']]) {
    assert.equal(await adapter(model!).find(id), undefined, `${model} ${id}`);
  }
  assert.deepEqual(await adapter('Session').find('sB'), { accountId: 'acc-B' });
  assert.deepEqual(await adapter('Grant').find('gB'), { accountId: 'acc-B' });
  assert.deepEqual(await adapter('AccessToken').find('aB'), { accountId: 'acc-B', grantId: 'gB' });
});

test('endEverythingOf ends an account with more grants than one statement can name', async () => {
  // 33,000 grants: one DELETE naming them all would bind 66,000 values, past both databases' limit.
  const grants = Array.from({ length: 33_000 }, (_, i) => ({ model: 'Grant', id: digestOf(`many-${i}`), payload: '{}', account_id: 'acc-many', expires_at: clock + 60_000 }));
  await db.batchInsert('oidc_store', grants, 400);
  await adapter('AccessToken').upsert('a-many', { accountId: 'acc-many', grantId: 'many-32999' }, 60);
  assert.equal(await endEverythingOf(db, 'acc-many', clock), 33_001);
  assert.equal(await adapter('AccessToken').find('a-many'), undefined);
  assert.deepEqual(await db('oidc_store').where({ account_id: 'acc-many' }).select('model'), []);
});

test('the Client model reads the clients table and refuses writes', async () => {
  const clients = adapter('Client');
  assert.equal(await clients.find('missing'), undefined);
  await assert.rejects(clients.upsert('x', {}));
});
