// The renderer and the shared e-mail frame: every e-mail has a subject, a plain-text and an HTML
// part with HK's name and the contact address; values are escaped; SMS is the kind's short text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageRequest } from '../../../src/delivery/delivery.ts';
import { DeliveryError } from '../../../src/errors.ts';
import { createRenderer, validity, type MessageTemplate } from '../../../interactions/messages.ts';

const notice: MessageTemplate = (lang, params) => ({
  subject: lang === 'nb' ? `Hei ${params.name}\r\nBcc: x@evil.example` : 'Hello',
  body: [`Til ${params.name}`, { code: params.code! }, { link: { label: 'Åpne <siden>', url: params.url! } }],
  sms: `Kode ${params.code}`,
});
const emailOnly: MessageTemplate = () => ({ subject: 'Invitasjon', body: ['Velkommen'] });
const render = createRenderer({ contactEmail: 'hjelp@hk.example', brandName: 'Handel og Kontor', issuer: 'https://login.hk.no', extraTemplates: { notice, 'email-only': emailOnly } });
const request = (kind: string, channel: 'sms' | 'email', params: Record<string, string> = {}, language: 'nb' | 'en' = 'nb'): MessageRequest => ({ channel, to: 'x', kind, language, params });
const permanent = (error: unknown) => error instanceof DeliveryError && error.failure === 'permanent';

test('an e-mail has a subject, a plain-text part and an HTML part that say the same thing', () => {
  const mail = render(request('notice', 'email', { name: '<script>alert(1)</script>', code: 'ABC-123', url: 'https://id.hk.example/aktiver?x=1&y=2' }));
  assert.equal(mail.subject, 'Hei <script>alert(1)</script> Bcc: x@evil.example', 'no line break survives in the subject');
  assert.equal(
    mail.text,
    [
      'Hei!',
      'Til <script>alert(1)</script>',
      '    ABC-123',
      'Åpne <siden>:\nhttps://id.hk.example/aktiver?x=1&y=2',
      'Vennlig hilsen\nHandel og Kontor',
      '-- \nHar du spørsmål? Kontakt oss på hjelp@hk.example.\nDenne e-posten er sendt automatisk. Du kan ikke svare på den.',
    ].join('\n\n'),
  );
  assert.ok(!mail.html.includes('<script>'), 'escaped in HTML');
  assert.ok(mail.html.includes('Til &#60;script&#62;alert(1)&#60;/script&#62;'));
  assert.ok(mail.html.includes('>ABC-123</p>'));
  assert.ok(mail.html.includes('<a href="https://id.hk.example/aktiver?x=1&#38;y=2"'));
  assert.ok(mail.html.includes('Åpne &#60;siden&#62;</a>'));
  assert.ok(mail.html.includes('<a href="mailto:hjelp@hk.example"'));
  assert.match(mail.html, /<html lang="nb">/);
  assert.ok(mail.html.includes('Handel og Kontor'));
});

test('the frame speaks the message language', () => {
  const mail = render(request('notice', 'email', { name: 'Ola', code: 'X', url: 'https://id.hk.example' }, 'en'));
  assert.match(mail.text, /^Hello,\n\n/);
  assert.ok(mail.text.includes('Questions? Contact us at hjelp@hk.example.'));
  assert.match(mail.html, /<html lang="en">/);
});

test('an SMS is the kind’s own short text', () => {
  assert.deepEqual(render(request('notice', 'sms', { name: 'Ola', code: '123456' })), { subject: 'Hei Ola\r\nBcc: x@evil.example', text: 'Kode 123456', html: '' });
});

test('what cannot be rendered fails permanently: unknown kind, no SMS text, a non-web link', () => {
  assert.throws(() => render(request('nope', 'email')), permanent);
  assert.throws(() => render(request('email-only', 'sms')), permanent);
  assert.throws(() => render(request('notice', 'email', { name: 'x', code: 'y', url: 'javascript:alert(1)' })), permanent);
});

// The real kinds, through the same renderer.
const real = createRenderer({ contactEmail: 'post@hk.no', brandName: 'Handel og Kontor', issuer: 'https://login.hk.no' });
// GSM 03.38: the basic set costs one septet a character, the extension table two; an SMS in it fits
// 160 septets in one segment (anything else makes it UCS-2: 70 characters).
const GSM7 = new Set('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà');
const GSM7_EXTENSION = new Set('^{}\\[~]|€\f');
const septets = (text: string) => [...text].reduce((sum, c) => sum + (GSM7_EXTENSION.has(c) ? 2 : 1), 0);
const notGsm7 = (text: string) => [...text].filter((c) => !GSM7.has(c) && !GSM7_EXTENSION.has(c));
// A real first-time password (12 characters, shown in groups of four) and the longest validity wording.
const ftp = { password: 'k7m2 p9xq 4rtw', validMinutes: '1440' };

/** One GSM-7 segment, every character in the alphabet (æøå included), and "don't share it" said. */
function assertOneSegment(text: string, label: string): void {
  assert.deepEqual(notGsm7(text), [], `${label}: only GSM-7 characters`);
  assert.ok(septets(text) <= 160, `${label}: ${septets(text)} septets`);
}

test('the first-time password SMS says what it is, who sent it, how long it is valid and not to share it, in one segment', () => {
  const nb = real(request('first-time-password', 'sms', ftp));
  assert.match(nb.text, /førstegangspassord fra HK: k7m2 p9xq 4rtw/);
  assert.match(nb.text, /Det er gyldig i 24 timer\./);
  assert.match(nb.text, /Ikke del passordet med noen\.$/);
  const en = real(request('first-time-password', 'sms', ftp, 'en'));
  assert.match(en.text, /first-time password from HK: k7m2 p9xq 4rtw/);
  assert.match(en.text, /It is valid for 24 hours\./);
  assert.match(en.text, /Do not share it with anyone\.$/);
  // Every validity the settings allow (5 minutes to 7 days), in both languages.
  for (const validMinutes of ['5', '59', '60', '90', '1439', '1440', '2880', '10080']) {
    for (const language of ['nb', 'en'] as const) assertOneSegment(real(request('first-time-password', 'sms', { ...ftp, validMinutes }, language)).text, `${language} ${validMinutes} min`);
  }
});

test('a one-time code SMS ends with "Ikke del koden med noen." and the origin-bound line for the issuer\'s host', () => {
  const nb = real(request('business_code_sms', 'sms', { code: '123456', minutes: '10' }));
  assert.equal(nb.text, 'Engangskoden din for HKs bedriftsportal er 123456. Den er gyldig i 10 minutter. Ikke del koden med noen.\n\n@login.hk.no #123456');
  const en = real(request('business_code_sms', 'sms', { code: '123456', minutes: '10' }, 'en'));
  assert.equal(en.text.split('\n').at(-1), '@login.hk.no #123456', 'the last line binds the code to the issuer (no port, no scheme)');
  assert.match(en.text, /Do not share the code with anyone\.\n\n@/);
  // A long issuer host and the longest validity still fit one segment.
  const long = createRenderer({ contactEmail: 'post@hk.no', brandName: 'Handel og Kontor', issuer: 'https://innlogging.handelogkontor.no:8443' });
  for (const language of ['nb', 'en'] as const) {
    for (const minutes of ['1', '10', '59', '60']) {
      const { text } = long(request('business_code_sms', 'sms', { code: '987654', minutes }, language));
      assert.match(text, /\n@innlogging\.handelogkontor\.no #987654$/);
      assertOneSegment(text, `${language} ${minutes} min`);
    }
  }
});

test('the first-time password e-mail: the password shown as a code, validity, what to do, in the frame', () => {
  const mail = real(request('first-time-password', 'email', { ...ftp, password: '<b>x</b>' }));
  assert.equal(mail.subject, 'Ditt førstegangspassord fra Handel og Kontor');
  assert.match(mail.text, /^Hei!\n\n/);
  assert.match(mail.text, /Det er gyldig i 24 timer/);
  assert.match(mail.text, /Vennlig hilsen\nHandel og Kontor/);
  assert.ok(mail.html.includes('&#60;b&#62;x&#60;/b&#62;'));
  assert.doesNotMatch(mail.html, /<b>/);
});

test('business codes (SMS and e-mail), invitations and password notices render in both languages', () => {
  for (const language of ['nb', 'en'] as const) {
    const sms = real(request('business_code_sms', 'sms', { code: '123456', minutes: '10' }, language));
    assert.match(sms.text, /123456/);
    assert.ok(sms.text.length <= 160);
    const mail = real(request('business_code_email', 'email', { code: '123456', minutes: '10' }, language));
    assert.match(mail.text, /123456/);
    const invitation = real(request('business_invitation', 'email', { organization: 'Firma AS', link: 'https://id.hk.example/invitation/abc', days: '7' }, language));
    assert.match(invitation.text, /Firma AS/);
    assert.ok(invitation.html.includes('href="https://id.hk.example/invitation/abc"'));
    const notice = real(request('business_password_changed', 'email', { contact: 'post@hk.no' }, language));
    assert.match(notice.text, /post@hk\.no/);
    assert.doesNotMatch(notice.text, /\d{6}/, 'no secret in the notice');
  }
});

test('validity as people say it: days from 2 days up, whole hours, else minutes; singular for 1', () => {
  assert.equal(validity('nb', 10080), '7 dager');
  assert.equal(validity('nb', 2880), '2 dager');
  assert.equal(validity('nb', 1440), '24 timer');
  assert.equal(validity('nb', 60), '1 time');
  assert.equal(validity('nb', 120), '2 timer');
  assert.equal(validity('nb', 90), '90 minutter');
  assert.equal(validity('nb', 1), '1 minutt');
  assert.equal(validity('en', 10080), '7 days');
  assert.equal(validity('en', 1440), '24 hours');
  assert.equal(validity('en', 60), '1 hour');
  assert.equal(validity('en', 1), '1 minute');
});

test('an invitation valid for 7 days says "7 dager", not "168 timer"; for 1 day "24 timer"', () => {
  const week = real(request('business_invitation', 'email', { organization: 'Firma AS', link: 'https://id.hk.example/invitation/abc', days: '7' }));
  assert.match(week.text, /gyldig i 7 dager\./);
  const day = real(request('business_invitation', 'email', { organization: 'Firma AS', link: 'https://id.hk.example/invitation/abc', days: '1' }, 'en'));
  assert.match(day.text, /valid for 24 hours\./);
});
