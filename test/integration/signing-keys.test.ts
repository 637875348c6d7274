// Signing keys: encrypted at rest, shared by every instance, rotated without breaking issued tokens.
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, test } from 'node:test';
import { loadSigningKeys, rotateSigningKeys } from '../../src/oidc/keys.ts';
import { createMember } from '../support/accounts.ts';
import { Browser } from '../support/browser.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { CALLBACK, registerRp } from '../support/rp.ts';

let idp: TestIdp;
before(async () => {
  idp = await startIdp();
});
after(() => idp.close());

const PASSWORD = 'fjordtur-til-lofoten';

async function idToken(target: TestIdp): Promise<string> {
  const rp = await registerRp(target);
  const member = await createMember(target, { password: PASSWORD });
  const browser = new Browser();
  const { page, verifier, state } = await rp.start(browser);
  const back = await browser.submit(page, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
  return (await rp.finish(back.location!, verifier, state)).id_token!;
}

const kidOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()).kid as string;

async function jwks(target: TestIdp): Promise<{ keys: Record<string, string>[] }> {
  return (await fetch(`${target.issuer}/jwks`)).json() as Promise<{ keys: Record<string, string>[] }>;
}

/** Verifies an RS256 JWT against the published JWKS, as any relying app would. */
async function verifiesAgainstJwks(target: TestIdp, jwt: string): Promise<boolean> {
  const key = (await jwks(target)).keys.find((k) => k.kid === kidOf(jwt));
  if (!key) return false;
  const [header, payload, signature] = jwt.split('.');
  return verify('sha256', Buffer.from(`${header}.${payload}`), createPublicKey({ key, format: 'jwk' }), Buffer.from(signature!, 'base64url'));
}

test('private keys are encrypted in the database and never published', async () => {
  const rows = await idp.db('signing_keys').select();
  assert.equal(rows.length, 2);
  for (const row of rows) {
    assert.match(row.private_jwk, /^enc1\./);
    assert.ok(!row.private_jwk.includes('"d"'));
  }
  for (const key of (await jwks(idp)).keys) {
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(key[secret], undefined, `published key has ${secret}`);
  }
});

test('another KEY_ENCRYPTION_KEY stops the start with an error that says so, and changes no key', async () => {
  const stored = await idp.db('signing_keys').orderBy('kid').select();
  const options = { now: Date.now(), retentionSeconds: 86_400 };
  await assert.rejects(loadSigningKeys(idp.db, { ...options, secret: 'another-key-encryption-key-0123456789abcdef' }), (error: Error) => {
    assert.match(error.message, /^signing key \S+ cannot be decrypted with KEY_ENCRYPTION_KEY: .*was KEY_ENCRYPTION_KEY changed\?/);
    assert.ok(!error.message.includes('another-key-encryption-key'), 'no key in the message');
    return true;
  });
  assert.deepEqual(await idp.db('signing_keys').orderBy('kid').select(), stored);
  assert.equal((await loadSigningKeys(idp.db, { ...options, secret: idp.settings.keyEncryptionKey })).length, stored.length);
});

test('a second instance on the same database signs with the same keys', async () => {
  const second = await idp.another();
  assert.deepEqual((await jwks(second)).keys.map((k) => k.kid).sort(), (await jwks(idp)).keys.map((k) => k.kid).sort());
  assert.equal(await verifiesAgainstJwks(idp, await idToken(second)), true);
});

test('rotation in two steps: the next key is published before it signs, the old one stays until its tokens expire', async () => {
  const before = await idToken(idp);
  const oldKid = kidOf(before);

  assert.equal(await rotateSigningKeys(idp.db, idp.settings.keyEncryptionKey, Date.now()), 'added');
  idp = await idp.restart();
  const published = (await jwks(idp)).keys.map((k) => k.kid);
  const next = (await idp.db('signing_keys').where({ state: 'next', alg: 'RS256' }).first())!.kid;
  assert.ok(published.includes(next), 'step 1: the next key is published');
  assert.equal(kidOf(await idToken(idp)), oldKid, 'step 1: the old key still signs');

  assert.equal(await rotateSigningKeys(idp.db, idp.settings.keyEncryptionKey, Date.now()), 'promoted');
  idp = await idp.restart();
  const after = await idToken(idp);
  assert.equal(kidOf(after), next, 'step 2: the new key signs');
  assert.equal(await verifiesAgainstJwks(idp, after), true);
  assert.equal(await verifiesAgainstJwks(idp, before), true, 'the old token still verifies');

  // Past the retention time the retired key is no longer published.
  await idp.db('signing_keys').where({ kid: oldKid }).update({ retired_at: Date.now() - 2 * 24 * 3600 * 1000 });
  idp = await idp.restart();
  assert.equal((await jwks(idp)).keys.some((k) => k.kid === oldKid), false);
  assert.equal(await verifiesAgainstJwks(idp, before), false);
});

test('instances starting at once on an empty database agree on one key per algorithm', async () => {
  const { freshDatabase } = await import('../support/idp.ts');
  const { migrate, openDatabase } = await import('../../src/storage/db.ts');
  const { loadSigningKeys } = await import('../../src/oidc/keys.ts');
  const database = await freshDatabase();
  const dbs = [0, 1, 2].map(() => openDatabase(database.databaseUrl, { schema: database.schema }));
  try {
    await migrate(dbs[0]!);
    const loaded = await Promise.all(dbs.map((db) => loadSigningKeys(db, { secret: 'k'.repeat(32), now: Date.now(), retentionSeconds: 3600 })));
    const kids = loaded.map((keys) => keys.map((k) => k.kid).sort().join(','));
    assert.equal(new Set(kids).size, 1, 'every instance publishes the same keys');
    assert.equal(loaded[0]!.length, 2);
  } finally {
    for (const db of dbs) await db.destroy();
    await database.drop();
  }
});
