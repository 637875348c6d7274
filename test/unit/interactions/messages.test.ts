// The renderer and the shared e-mail frame: every e-mail has a subject, a plain-text and an HTML
// part with HK's name and the contact address; values are escaped; SMS is the kind's short text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeliveryError, type MessageRequest } from '../../../src/delivery/delivery.ts';
import { createRenderer, type MessageTemplate } from '../../../interactions/messages.ts';

const notice: MessageTemplate = (lang, params) => ({
  subject: lang === 'nb' ? `Hei ${params.name}\r\nBcc: x@evil.example` : 'Hello',
  body: [`Til ${params.name}`, { code: params.code! }, { link: { label: 'Åpne <siden>', url: params.url! } }],
  sms: `Kode ${params.code}`,
});
const emailOnly: MessageTemplate = () => ({ subject: 'Invitasjon', body: ['Velkommen'] });
const render = createRenderer({ contactEmail: 'hjelp@hk.example', extraTemplates: { notice, 'email-only': emailOnly } });
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
