// cookieSigner: what koa's cookies sign and verify with, in place of Keygrip, with Keygrip's signatures.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { cookieSigner } from '../../../config/oidc.ts';

// Keygrip's own formula (HMAC-SHA1, base64 made URL-safe): cookies signed before the change still verify.
const keygripSignature = (data: string, key: string) =>
  createHmac('sha1', key)
    .update(data)
    .digest('base64')
    .replace(/\/|\+|=/g, (x) => ({ '/': '_', '+': '-', '=': '' })[x]!);

test('the newest key signs, as Keygrip signs', () => {
  const signer = cookieSigner(['new', 'old']);
  for (const data of ['hk_session=abc', '__Secure-hk_interaction=' + 'x'.repeat(200), 'æøå=ü']) assert.equal(signer.sign(data), keygripSignature(data, 'new'));
});

test('every key verifies, and index says which; anything else is -1', () => {
  const signer = cookieSigner(['new', 'old']);
  const data = 'hk_session=abc';
  assert.equal(signer.index(data, keygripSignature(data, 'new')), 0);
  assert.equal(signer.index(data, keygripSignature(data, 'old')), 1);
  assert.equal(signer.verify(data, keygripSignature(data, 'old')), true);
  const right = keygripSignature(data, 'new');
  for (const wrong of [keygripSignature(data, 'other'), keygripSignature('hk_session=abd', 'new'), right.slice(1), right + 'A', '', 'æ'.repeat(27)]) {
    assert.equal(signer.index(data, wrong), -1);
    assert.equal(signer.verify(data, wrong), false);
  }
});

test('no keys is refused at start, as Keygrip refuses it', () => {
  assert.throws(() => cookieSigner([]));
});
