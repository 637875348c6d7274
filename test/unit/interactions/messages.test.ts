import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMessage, validity } from '../../../interactions/messages.ts';

// GSM 03.38 basic character set: an SMS in it fits 160 characters per segment (else only 70).
const GSM7 = new Set('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà');

const params = { password: 'k7m2 p9xq 4rtw', validMinutes: '1440' };

test('the first-time password SMS says what it is, who sent it and how long it is valid, in one segment', () => {
  const nb = renderMessage({ channel: 'sms', to: '+4798765432', kind: 'first-time-password', language: 'nb', params });
  assert.match(nb.text, /førstegangspassord fra Handel og Kontor: k7m2 p9xq 4rtw/);
  assert.match(nb.text, /Gjelder i 24 timer/);
  const en = renderMessage({ channel: 'sms', to: '+4798765432', kind: 'first-time-password', language: 'en', params });
  assert.match(en.text, /first-time password from Handel og Kontor: k7m2 p9xq 4rtw/);
  assert.match(en.text, /Valid for 24 hours/);
  for (const { text } of [nb, en]) {
    assert.ok(text.length <= 160, `${text.length} characters`);
    assert.deepEqual([...text].filter((c) => !GSM7.has(c)), [], 'only GSM-7 characters');
  }
});

test('the e-mail has a subject, a text part and an escaped HTML part', () => {
  const mail = renderMessage({ channel: 'email', to: 'a@example.org', kind: 'first-time-password', language: 'nb', params: { ...params, password: '<b>x</b>' } });
  assert.equal(mail.subject, 'Ditt førstegangspassord fra Handel og Kontor');
  assert.match(mail.text, /Det gjelder i 24 timer/);
  assert.match(mail.text, /Vennlig hilsen\nHandel og Kontor/);
  assert.match(mail.html, /<p>&#60;b&#62;x&#60;\/b&#62;<\/p>/);
  assert.doesNotMatch(mail.html, /<b>/);
});

test('validity in words', () => {
  assert.equal(validity('nb', 1440), '24 timer');
  assert.equal(validity('nb', 60), '1 time');
  assert.equal(validity('nb', 10), '10 minutter');
  assert.equal(validity('en', 1440), '24 hours');
  assert.equal(validity('en', 60), '1 hour');
});
