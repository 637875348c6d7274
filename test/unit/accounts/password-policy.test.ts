import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkNewPassword, isCommonPassword } from '../../../src/accounts/password-policy.ts';

const rules = { minLength: 12, identifiers: ['1000123', 'kari.nordmann', 'kari@example.org'] };
const check = (password: string, confirmation = password) => checkNewPassword(password, confirmation, rules);

test('a long lower-case passphrase is fine: no composition rules', () => {
  assert.deepEqual(check('fjordtur til lofoten'), []);
});

test('too short, counted in code points after NFKC', () => {
  assert.deepEqual(check('kortpassord'), ['too_short']);
  // "blåbærsyltøy" is 15 UTF-8 bytes but 12 characters: long enough.
  assert.deepEqual(check('blåbærsyltøy'), []);
  // "A" + combining ring normalises to one "Å": 11 characters, too short.
  assert.deepEqual(check('A\u030A' + 'bcdefghijk'), ['too_short']);
});

test('at most 256 characters', () => {
  assert.deepEqual(check('a'.repeat(257)), ['too_long']);
  assert.deepEqual(check('fjord'.repeat(51) + 'x'), []);
});

test('common and breached passwords are refused', () => {
  assert.equal(isCommonPassword('123456789012'), true);
  assert.equal(isCommonPassword('987654321098765'), true);
  assert.equal(isCommonPassword('abcabcabcabc'), true);
  assert.deepEqual(check('passwordpassword'), ['common']);
  assert.deepEqual(check('1qaz2wsx3edc'), ['common']);
  assert.deepEqual(check('aaaaaaaaaaaaaaa'), ['common']);
  assert.deepEqual(check('Handel og Kontor'), ['common']);
});

test('the person’s own member number, username or e-mail is refused', () => {
  assert.deepEqual(check('mitt-1000123-passord'), ['contains_identifier']);
  assert.deepEqual(check('KARI.NORDMANN-sommer'), ['contains_identifier']);
  assert.deepEqual(check('kari@example.org!!'), ['contains_identifier']);
});

test('the confirmation must match', () => {
  assert.deepEqual(check('fjordtur til lofoten', 'fjordtur til lofoten.'), ['mismatch']);
  // Different Unicode forms of the same text match.
  assert.deepEqual(check('blåbærsyltetøy-på-brødskiva', 'bla\u030Abærsyltetøy-på-brødskiva'), []);
});
