// One catalogue per language: the same keys, none empty, the same placeholders; and every key the
// code builds at run time (scopes, password and username problems, resend texts) exists.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { scopeClaims } from '../../../config/oidc.ts';
import { catalogues, pluralForms, t, tPlural, type TextKey } from '../../../interactions/i18n.ts';

const languages = Object.keys(catalogues) as (keyof typeof catalogues)[];
// Plain placeholders "{name}" and plural choices "{name, plural, …}" alike.
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)(?:\}|, plural,)/g)].map((m) => m[1]).sort();

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
    ...['business.resend', 'ftp.resend'].flatMap((prefix) => ['submit', 'wait', 'ready', 'too_soon'].map((name) => `${prefix}.${name}`)),
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

// Counts: every text that carries a number of something says it through a plural choice, and each
// reads right at 0, 1, 2 and 5 in both languages ("1 time", "2 timer"; never "1 ganger", "1 minutes").
const COUNTS = new Set(['n', 'seconds', 'minutes', 'days', 'left', 'min', 'max', 'count']);
const countTexts = (Object.keys(catalogues.nb) as TextKey[]).filter((key) => languages.some((lang) => placeholders(catalogues[lang][key]).some((name) => COUNTS.has(name!))));
// Singular nouns after a number other than 1, and plural nouns after 1.
const WRONG: Record<(typeof languages)[number], RegExp[]> = {
  nb: [/\b1 (ganger|minutter|timer|dager|sekunder)\b/, /\b(0|2|5) (gang|minutt|time|dag|sekund)\b/],
  en: [/\b1 (more )?(times|minutes|hours|days|seconds|characters)\b/, /\b(0|2|5) (more )?(time|minute|hour|day|second|character)\b/],
};

test('the texts with a count are found (so the test below tests something)', () => {
  for (const key of ['time.minutes', 'time.hours', 'time.days', 'business.password.code_wrong', 'ftp.resend.wait', 'business.resend.too_soon', 'password.problem.too_short'] as TextKey[]) {
    assert.ok(countTexts.includes(key), key);
  }
});

test('every text with a count: a plural choice in every language, right at 0, 1, 2 and 5', () => {
  for (const key of countTexts) {
    for (const lang of languages) {
      const text = catalogues[lang][key];
      for (const name of placeholders(text).filter((p) => COUNTS.has(p!))) {
        const choice = new RegExp(`\\{${name}, plural,((?:\\s*\\w+ \\{[^{}]*\\})+)\\s*\\}`).exec(text);
        assert.ok(choice, `${lang} "${key}": {${name}} is a count but not a plural choice`);
        const forms = pluralForms(choice[1]!);
        for (const category of new Intl.PluralRules(lang).resolvedOptions().pluralCategories) assert.ok(forms[category], `${lang} "${key}": no "${category}" form`);
      }
      for (const count of [0, 1, 2, 5]) {
        const params = Object.fromEntries(placeholders(text).map((p) => [p!, COUNTS.has(p!) ? count : 'X']));
        const said = t(lang, key, params);
        assert.doesNotMatch(said, /[{}#]/, `${lang} "${key}" at ${count}: "${said}"`);
        assert.match(said, new RegExp(`\\b${count}\\b`), `${lang} "${key}" at ${count}: the count is said`);
        for (const wrong of WRONG[lang]) assert.doesNotMatch(said, wrong, `${lang} "${key}" at ${count}: "${said}"`);
      }
    }
  }
});

test('the spelled-out examples', () => {
  assert.equal(t('nb', 'business.password.code_wrong', { left: 1 }), 'Feil engangskode. Du kan prøve 1 gang til.');
  assert.equal(t('nb', 'business.password.code_wrong', { left: 2 }), 'Feil engangskode. Du kan prøve 2 ganger til.');
  assert.equal(t('en', 'business.password.code_wrong', { left: 1 }), 'Wrong one-time code. You can try 1 more time.');
  assert.equal(t('nb', 'time.minutes', { n: 1 }), '1 minutt');
  assert.equal(t('nb', 'time.hours', { n: 1 }), '1 time');
  assert.equal(t('nb', 'time.days', { n: 7 }), '7 dager');
  assert.equal(t('en', 'ftp.resend.too_soon', { seconds: 1 }), 'The first-time password may still be on its way. Wait 1 second before asking for a new one.');
});

test('a countdown gets every plural category\'s wording with the count still open', () => {
  assert.deepEqual(tPlural('nb', 'business.resend.wait', 'seconds'), { one: 'Om {seconds} sekund kan du be om en ny kode.', other: 'Om {seconds} sekunder kan du be om en ny kode.' });
  assert.deepEqual(tPlural('en', 'ftp.resend.wait', 'seconds'), { one: 'In {seconds} second you can have it sent again.', other: 'In {seconds} seconds you can have it sent again.' });
});

test('the wording the issue asked for', () => {
  const nb = catalogues.nb;
  assert.match(nb['business.code.choose'], /må være de samme som HK har registrert/);
  assert.equal(nb['business.login.first_time'], 'Når du logger deg på for første gang, må du aktivere brukerkontoen din.');
  assert.equal(nb['logout.cancel'], 'Nei, forbli innlogget');
  assert.match(nb['business.password.code_dead'], /tastet feil for mange ganger/);
  assert.equal(nb['outbox.title'], 'Utviklingsutboks');
  assert.equal(catalogues.en['business.login.no_user'], 'If you do not have a user account, contact {email}.');
  assert.equal(catalogues.en['business.done.activated'], 'Your user account has been activated');
  assert.equal(catalogues.en['business.done.reset'], 'Your password has been changed');
  for (const lang of languages) {
    for (const [key, text] of Object.entries(catalogues[lang])) {
      assert.doesNotMatch(text, /mobilnr/, `${lang} "${key}"`);
      assert.doesNotMatch(text, /\bgjelder i\b/i, `${lang} "${key}": "er gyldig i"`);
      assert.doesNotMatch(text, /HK’s sign-in|HK's sign-in/, `${lang} "${key}": "HK sign-in"`);
      assert.doesNotMatch(text, /anonym/i, `${lang} "${key}": sub is pseudonymous, not anonymous`);
      // "Dersom …" / "Når …" / "Hvis …" opening a sentence: its clause ends with a comma before the main clause.
      for (const sentence of text.split(/(?<=[.?!])\s+/)) {
        if (lang === 'nb' && /^(Dersom|Når|Hvis|Om) /.test(sentence) && !/^Om \{/.test(sentence)) assert.match(sentence, /,/, `nb "${key}": comma after the subordinate clause: "${sentence}"`);
      }
    }
  }
});

test('a text that tells people to call has the number in it ({phone}), so without a phone it is never shown', () => {
  for (const lang of languages) {
    for (const [key, text] of Object.entries(catalogues[lang])) {
      const saysCall = /\bring(er)? oss\b|\bcall us\b|\bringer\b/i.test(text);
      if (saysCall) assert.ok(text.includes('{phone}'), `${lang} "${key}" says to call without a number: "${text}"`);
    }
  }
});
