// Secrets sealed at rest: the signing keys' private halves and the staff's TOTP secrets. The two
// values below were sealed by the code before this helper (2026-12-06): rows already stored must open.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decryptKey, encryptKey, type SigningKey } from '../../../src/oidc/keys.ts';
import { open, seal } from '../../../src/security/sealed.ts';
import { openTotpSecret, sealTotpSecret } from '../../../src/staff/second-factor.ts';

const SECRET = 'the-key-encryption-key';
const STORED_KEY = 'enc1.3P5YuHx7pDPVj7xU.9y7X1XDyzU7sJ8o9YT1XAw.ZPHezA_zhkQQJiM3p0CiYir-JSkyMFawoo1P7osIEplPY9-yl638T4PpCWcwgnZTEd8T9eY';
const STORED_TOTP = 'enc1.ccKc_GJrRbPpRmMj.ysQbKX2UiqKtXELECZwqKA.5EVkPFuC3bGbrpRvala01Q';

test('values sealed by earlier versions still open', () => {
  assert.deepEqual(decryptKey(STORED_KEY, 'kid-1', SECRET), { kty: 'oct', kid: 'kid-1', alg: 'RS256', use: 'sig' });
  assert.equal(openTotpSecret(STORED_TOTP, 'staff-1', SECRET), 'JBSWY3DPEHPK3PXP');
});

test('a sealed value opens with its secret and owner, and nowhere else', () => {
  const sealed = seal('æøå secret', 'owner-a', SECRET);
  assert.match(sealed, /^enc1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
  assert.doesNotMatch(sealed, /secret/);
  assert.equal(open(sealed, 'owner-a', SECRET), 'æøå secret');
  assert.notEqual(seal('æøå secret', 'owner-a', SECRET), sealed, 'a fresh IV each time');
  assert.throws(() => open(sealed, 'owner-b', SECRET), /authenticate/);
  assert.throws(() => open(sealed, 'owner-a', 'another-secret'), /authenticate/);
});

test('an altered or malformed value does not open', () => {
  const [prefix, iv, tag, body] = seal('JBSWY3DPEHPK3PXP', 'totp:staff-1', SECRET).split('.') as [string, string, string, string];
  const flipped = (text: string) => {
    const bytes = Buffer.from(text, 'base64url');
    bytes[0] ^= 1;
    return bytes.toString('base64url');
  };
  assert.throws(() => open([prefix, iv, tag, flipped(body)].join('.'), 'totp:staff-1', SECRET), /authenticate/);
  assert.throws(() => open([prefix, flipped(iv), tag, body].join('.'), 'totp:staff-1', SECRET), /authenticate/);
  // A tag cut to 4 bytes would be accepted by GCM unless its length is stated; it is refused.
  assert.throws(() => open([prefix, iv, Buffer.from(tag, 'base64url').subarray(0, 4).toString('base64url'), body].join('.'), 'totp:staff-1', SECRET), /tag/i);
  for (const bad of ['', 'enc1', 'enc1.a.b', 'enc2.a.b.c', `${prefix}.${iv}.${tag}.${body}.extra`]) {
    assert.throws(() => open(bad, 'totp:staff-1', SECRET), /^Error: not a sealed value$/, bad);
  }
});

test('the signing keys and TOTP secrets go through the same seal', () => {
  const key = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd', kid: 'k2', alg: 'ES256', use: 'sig' } as SigningKey;
  assert.deepEqual(JSON.parse(open(encryptKey(key, SECRET), 'k2', SECRET)), key);
  assert.equal(open(sealTotpSecret('ABC', 's2', SECRET), 'totp:s2', SECRET), 'ABC');
  assert.deepEqual(decryptKey(seal(JSON.stringify(key), 'k2', SECRET), 'k2', SECRET), key);
  assert.equal(openTotpSecret(seal('ABC', 'totp:s2', SECRET), 's2', SECRET), 'ABC');
});
