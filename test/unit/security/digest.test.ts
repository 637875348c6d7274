// The stored form of every secret: rows written by any earlier version must still be found, so the
// digest is fixed (SHA-256, base64url without padding), checked against the standard's test vector.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestOf } from '../../../src/security/digest.ts';

test('a secret is stored as its SHA-256 in base64url', () => {
  // FIPS 180-2's "abc" vector, ba7816bf…15ad, in base64url.
  assert.equal(digestOf('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  // Text as its UTF-8 bytes (what every earlier helper hashed), 43 characters without padding.
  assert.equal(digestOf('æøå'), 'bCKM26iVSKGvGY8zgZU2Qi-wG2blH3Yc8uw40ftBeKY');
});
