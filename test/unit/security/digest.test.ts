// The stored form of every secret: rows written by any earlier version must still be found, so the
// digest is fixed (SHA-256, base64url without padding), checked against the standard's test vector.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestOf } from '../../../src/security/digest.ts';
import { storedId } from '../../../src/oidc/adapter.ts';

test('a secret is stored as its SHA-256 in base64url, the same for tokens and every other secret', () => {
  // FIPS 180-2's "abc" vector, ba7816bf…15ad, in base64url.
  assert.equal(digestOf('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  assert.equal(storedId('abc'), digestOf('abc'));
  assert.match(digestOf('æøå-🗳️'), /^[\w-]{43}$/);
  assert.notEqual(digestOf('a'), digestOf('b'));
});
