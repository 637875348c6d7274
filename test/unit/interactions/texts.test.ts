// One catalogue per language: the same keys, none empty, the same placeholders; and every key the
// code builds at run time (scopes, password and username problems, resend texts) exists.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { scopeClaims } from '../../../config/oidc.ts';
import { catalogues } from '../../../interactions/i18n.ts';

const languages = Object.keys(catalogues) as (keyof typeof catalogues)[];
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every language has every key, and no text is empty', () => {
  const keys = new Set(languages.flatMap((lang) => Object.keys(catalogues[lang])));
  for (const lang of languages) {
    for (const key of keys) {
      const text = (catalogues[lang] as Record<string, string | undefined>)[key];
      assert.equal(typeof text, 'string', `${lang} has no "${key}"`);
      assert.ok(text!.trim().length > 0, `${lang} "${key}" is empty`);
      assert.equal(text, text!.trim(), `${lang} "${key}" has spaces at an end`);
    }
  }
});

test('a text has the same placeholders in every language', () => {
  for (const key of Object.keys(catalogues.nb) as (keyof typeof catalogues.nb)[]) {
    for (const lang of languages) assert.deepEqual(placeholders(catalogues[lang][key]), placeholders(catalogues.nb[key]), `${lang} "${key}"`);
  }
});

test('keys the code builds at run time exist', () => {
  const built = [
    ...Object.keys(scopeClaims).map((scope) => `scope.${scope}`),
    ...['too_short', 'too_long', 'common', 'contains_identifier', 'mismatch'].map((p) => `password.problem.${p}`),
    ...['length', 'digits', 'characters', 'taken'].map((p) => `username.problem.${p}`),
    ...['business.resend', 'ftp.resend'].flatMap((prefix) => ['submit', 'wait', 'wait_one', 'ready', 'too_soon', 'too_soon_one'].map((name) => `${prefix}.${name}`)),
    ...['code', 'password', 'verified', 'choose_password'].map((step) => `business.step.${step}`),
  ];
  for (const key of built) assert.ok(key in catalogues.nb, `no "${key}"`);
});

test('every key written in the code exists (a typo in a key fails here and in tsc)', () => {
  const root = join(import.meta.dirname, '../../../interactions');
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.startsWith('texts'));
  for (const file of files) {
    const source = readFileSync(join(root, file), 'utf8');
    for (const [, key] of source.matchAll(/\bt\(\s*\w+,\s*'([\w.]+)'/g)) assert.ok(key! in catalogues.nb, `${file}: "${key}"`);
  }
});
