import assert from 'node:assert/strict';
import { test } from 'node:test';
import bcrypt from 'bcrypt';
import { findAccountById, upsertMember } from '../../../src/accounts/accounts.ts';
import { createPasswordHasher } from '../../../src/accounts/passwords.ts';
import { checkPassword } from '../../../src/accounts/sign-in.ts';
import { testDb } from '../../support/db.ts';

const hasher = createPasswordHasher('pepper-0123456789abcdefghijklmnopqrstuvwxyz', 4);

test('a hash says its scheme and verifies; the same password hashes differently each time', async () => {
  const a = await hasher.hash('fjordtur-til-lofoten');
  const b = await hasher.hash('fjordtur-til-lofoten');
  assert.match(a, /^hk1\$\$2b\$04\$/);
  assert.notEqual(a, b);
  assert.deepEqual(await hasher.verify('fjordtur-til-lofoten', a), { ok: true, needsRehash: false });
  assert.equal((await hasher.verify('fjordtur-til-lofoteN', a)).ok, false);
});

test('long passwords are not truncated at bcrypt’s 72 bytes', async () => {
  const long = 'x'.repeat(99) + 'y';
  const hash = await hasher.hash(long);
  assert.equal((await hasher.verify(long, hash)).ok, true);
  assert.equal((await hasher.verify(long.slice(0, 72), hash)).ok, false);
  assert.equal((await hasher.verify('x'.repeat(100), hash)).ok, false, 'the last character counts');
});

test('Unicode: NFKC-equivalent forms match, multibyte passwords work', async () => {
  const hash = await hasher.hash('Åpen dør i fjellet');
  assert.equal((await hasher.verify('A\u030Apen dør i fjellet', hash)).ok, true);
  const emoji = '🦊'.repeat(40); // 160 UTF-8 bytes
  assert.equal((await hasher.verify(emoji, await hasher.hash(emoji))).ok, true);
  assert.equal((await hasher.verify('🦊'.repeat(39), await hasher.hash(emoji))).ok, false);
});

test('the pepper matters: another pepper does not verify', async () => {
  const other = createPasswordHasher('another-pepper-0123456789abcdefghijklmnop', 4);
  assert.equal((await other.verify('fjordtur-til-lofoten', await hasher.hash('fjordtur-til-lofoten'))).ok, false);
});

test('no stored hash: still false (after a decoy comparison)', async () => {
  assert.deepEqual(await hasher.verify('anything', null), { ok: false, needsRehash: false });
  assert.deepEqual(await hasher.verify('anything', 'garbage'), { ok: false, needsRehash: false });
});

test('an imported legacy bcrypt hash verifies and asks to be upgraded', async () => {
  const legacy = await bcrypt.hash('gammelt-passord', 4);
  assert.deepEqual(await hasher.verify('gammelt-passord', legacy), { ok: true, needsRehash: true });
  assert.deepEqual(await hasher.verify('feil', legacy), { ok: false, needsRehash: false });
});

test('a hash of another cost asks to be rehashed', async () => {
  const stronger = createPasswordHasher('pepper-0123456789abcdefghijklmnopqrstuvwxyz', 5);
  assert.deepEqual(await stronger.verify('fjordtur-til-lofoten', await hasher.hash('fjordtur-til-lofoten')), { ok: true, needsRehash: true });
});

test('a hash of a lower cost costs as much bcrypt work to check as the configured cost (no existence oracle)', async (t) => {
  // Work, not time, is compared: bcrypt's work doubles with each cost step, so the comparisons made
  // must add up to one comparison at the configured cost whatever is stored. (The time itself is
  // measured by `npm run check:timing`.)
  const strong = createPasswordHasher('pepper-0123456789abcdefghijklmnopqrstuvwxyz', 10);
  const weakStored = await createPasswordHasher('pepper-0123456789abcdefghijklmnopqrstuvwxyz', 6).hash('whatever-it-is');
  const legacy = await bcrypt.hash('gammelt-passord', 6);
  const phpLegacy = legacy.replace(/^\$2b\$/, '$2y$');
  await strong.verify('warm-up', null); // the decoy hashes are made once, outside the count
  for (const stored of [weakStored, legacy, phpLegacy]) await strong.verify('wrong-password', stored);
  const compare = t.mock.method(bcrypt, 'compare');
  const work = async (stored: string | null) => {
    compare.mock.resetCalls();
    await strong.verify('wrong-password', stored);
    return compare.mock.calls.reduce((sum, call) => sum + 2 ** bcrypt.getRounds(String(call.arguments[1])), 0);
  };
  assert.equal(await work(null), 2 ** 10);
  for (const stored of [weakStored, legacy, phpLegacy]) assert.equal(await work(stored), 2 ** 10, stored.slice(0, 7));
});

test('a $2y$ hash (PHP, htpasswd -B) verifies like $2b$ and asks to be upgraded', async () => {
  // The example of PHP's manual for password_verify(): password_hash('rasmuslerdorf', PASSWORD_DEFAULT).
  const php = '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a';
  assert.deepEqual(await hasher.verify('rasmuslerdorf', php), { ok: true, needsRehash: true });
  assert.deepEqual(await hasher.verify('rasmuslerdorF', php), { ok: false, needsRehash: false });
  const own = (await bcrypt.hash('gammelt-passord', 4)).replace(/^\$2b\$/, '$2y$');
  assert.equal((await hasher.verify('gammelt-passord', own)).ok, true);
});

test('a legacy hash verified with a password over 72 bytes is upgraded with the whole password as typed', async () => {
  const { db, close } = await testDb();
  try {
    // The old system's bcrypt read only the first 72 bytes of this 90-byte password.
    const typed = 'æ'.repeat(30) + 'fjordtur-til-lofoten-og-tilbake'; // 60 + 31 bytes
    const legacy = (await bcrypt.hash(typed, 4)).replace(/^\$2b\$/, '$2y$');
    const { account } = await upsertMember(db, { memberNumber: '7200001', givenName: 'Lang', familyName: 'Passordsen', passwordHash: legacy, status: 'active' });
    assert.ok(await checkPassword(db, hasher, account, typed));
    const upgraded = (await findAccountById(db, account.id))!.passwordHash!;
    assert.match(upgraded, /^hk1\$/);
    assert.equal((await hasher.verify(typed, upgraded)).ok, true);
    const prefix = Buffer.from(typed).subarray(0, 72).toString('utf8');
    assert.equal((await hasher.verify(prefix, upgraded)).ok, false, 'the upgrade must not be of the 72-byte prefix');
    assert.equal((await hasher.verify(`${prefix}a different tail`, upgraded)).ok, false);
  } finally {
    await close();
  }
});
