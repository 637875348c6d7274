// Real delivery through the durable outbox: e-mail to a real SMTP server on 127.0.0.1, SMS to a
// local stand-in for Vonage's SMS API, with the server's own settings (SMTP_URL, VONAGE_*), a
// controllable clock and the worker driven by deliverDue().
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { AddressObject } from 'mailparser';
import { LEASE_MS, retryDelay } from '../../src/delivery/outbox.ts';
import { runCli } from '../../src/cli/run.ts';
import { auditOf, enqueueTest, newCode, outboxRow, storedText, testTemplates } from '../support/delivery.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createIdp, portOf } from '../../src/server.ts';
import { freePort, freshDatabase, startIdp, testSettings, type TestIdp } from '../support/idp.ts';
import { startFakeSmtp, type FakeSmtp } from '../support/smtp.ts';
import { accepted, httpError, rejected, startFakeVonage, type FakeVonage } from '../support/vonage.ts';
import { createMember } from '../support/accounts.ts';
import { Browser } from '../support/browser.ts';
import { registerRp } from '../support/rp.ts';

const MAIL_FROM = '"Handel og Kontor" <noreply@hk.example>';
const CONTACT = 'medlemsservice@hk.example';

describe('delivery by SMTP and Vonage', () => {
  let smtp: FakeSmtp;
  let vonage: FakeVonage;
  let idp: TestIdp;
  let clock = Date.UTC(2026, 0, 5, 9, 0, 0);

  before(async () => {
    smtp = await startFakeSmtp({
      rejectRcpt: (address) =>
        address.startsWith('gone@') ? { code: 550, message: '5.1.1 mailbox unavailable' } : address.startsWith('busy@') ? { code: 451, message: '4.2.1 try again later' } : undefined,
    });
    vonage = await startFakeVonage();
    idp = await startIdp(
      {
        SMTP_URL: smtp.url,
        MAIL_FROM,
        VONAGE_API_KEY: 'test-api-key',
        VONAGE_API_SECRET: 'test-api-secret',
        SMS_SENDER: 'HK',
        VONAGE_REST_HOST: vonage.url,
        CONTACT_EMAIL: CONTACT,
      },
      { now: () => clock, messageTemplates: testTemplates, outboxIntervalMs: 0 },
    );
  });
  after(async () => {
    await idp.close();
    await smtp.close();
    await vonage.close();
  });
  beforeEach(() => {
    smtp.messages.length = 0;
    vonage.requests.length = 0;
    vonage.replies.length = 0;
  });

  test('configured SMTP and Vonage replace the development outbox', () => {
    assert.equal(idp.devOutbox, undefined);
    assert.equal(idp.settings.devOutbox, false);
  });

  test('an e-mail arrives by SMTP with subject, plain text and HTML, in bokmål, with HK and the contact address', async () => {
    const code = newCode();
    const id = await enqueueTest(idp, clock, { channel: 'email', to: 'kari@example.org', code, purpose: '<b>prøving</b>' });
    assert.equal(await idp.outbox.deliverDue(), 1);

    assert.equal(smtp.messages.length, 1);
    const mail = smtp.messages[0]!;
    assert.equal(mail.from, 'noreply@hk.example');
    assert.deepEqual(mail.to, ['kari@example.org']);
    assert.equal((mail.parsed.from as AddressObject).value[0]!.name, 'Handel og Kontor');
    assert.equal(mail.parsed.subject, 'Din testkode');
    assert.equal(mail.parsed.headers.get('auto-submitted'), 'auto-generated');
    const text = mail.parsed.text!;
    assert.match(text, /^Hei!/);
    assert.match(text, new RegExp(`\\n    ${code}\\n`));
    assert.match(text, /Her er testkoden din for <b>prøving<\/b>:/, 'the text part is plain text');
    assert.match(text, /Vennlig hilsen\nHandel og Kontor/);
    assert.ok(text.includes(`Kontakt oss på ${CONTACT}.`));
    const html = mail.parsed.html as string;
    assert.match(html, /<html lang="nb">/);
    assert.ok(html.includes(code));
    assert.ok(html.includes('&#60;b&#62;prøving&#60;/b&#62;'), 'params are escaped in the HTML part');
    assert.ok(!html.includes('<b>prøving'));
    assert.ok(html.includes(`<a href="mailto:${CONTACT}"`));

    const row = await outboxRow(idp, id);
    assert.equal(row.status, 'sent');
    assert.equal(row.params, null, 'the code is gone from the outbox once delivered');
    assert.deepEqual(
      (await auditOf(idp, id)).map((a) => [a.event, a.detail.outcome]),
      [['message.attempt', 'sent'], ['message.sent', undefined]],
    );
  });

  test('an English member gets the English e-mail', async () => {
    await enqueueTest(idp, clock, { channel: 'email', to: 'ola@example.org', code: newCode(), language: 'en' });
    await idp.outbox.deliverDue();
    const mail = smtp.messages[0]!;
    assert.equal(mail.parsed.subject, 'Your test code');
    assert.match(mail.parsed.text!, /^Hello,/);
    assert.match(mail.parsed.text!, /Kind regards\nHandel og Kontor/);
    assert.ok(mail.parsed.text!.includes(`Questions? Contact us at ${CONTACT}.`));
    assert.match(mail.parsed.html as string, /<html lang="en">/);
  });

  test('an SMS reaches the SMS API as the SDK sends it: Basic auth, the configured sender, E.164 without plus', async () => {
    const code = newCode();
    const id = await enqueueTest(idp, clock, { channel: 'sms', to: '+4791234567', code });
    assert.equal(await idp.outbox.deliverDue(), 1);

    assert.equal(vonage.requests.length, 1);
    const request = vonage.requests[0]!;
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/sms/json');
    assert.equal(request.headers.authorization, `Basic ${Buffer.from('test-api-key:test-api-secret').toString('base64')}`);
    assert.equal(request.body.from, 'HK');
    assert.equal(request.body.to, '4791234567');
    assert.equal(request.body.text, `Testkoden din fra HK: ${code}. Gjelder i 10 minutter.`);
    assert.equal(request.body.type, 'text', 'æøå fit the GSM alphabet: one plain SMS');
    assert.ok(!JSON.stringify(request.body).includes('test-api-secret'), 'credentials only in the header');

    const row = await outboxRow(idp, id);
    assert.equal(row.status, 'sent');
    assert.equal(row.params, null);
  });

  test('the SMS API failing with 5xx three times, then accepting: delivered once, with back-off', async () => {
    vonage.replies.push(httpError(503), httpError(502), httpError(500));
    const code = newCode();
    const id = await enqueueTest(idp, clock, { channel: 'sms', to: '+4798765432', code });

    for (let attempt = 1; attempt <= 3; attempt++) {
      assert.equal(await idp.outbox.deliverDue(), 0);
      assert.equal(vonage.requests.length, attempt);
      const row = await outboxRow(idp, id);
      assert.equal(row.status, 'pending', 'a temporary failure waits for the next attempt');
      assert.equal(Number(row.next_attempt_at), clock + retryDelay(attempt));
      assert.ok(row.params, 'the message is kept until it is delivered');
      // Not before the back-off has passed.
      clock += retryDelay(attempt) - 1;
      await idp.outbox.deliverDue();
      assert.equal(vonage.requests.length, attempt);
      clock += 1;
    }
    assert.equal(await idp.outbox.deliverDue(), 1);
    assert.equal(vonage.requests.length, 4);
    assert.equal(new Set(vonage.requests.map((r) => r.body.text)).size, 1);

    clock += 60 * 60_000;
    await idp.outbox.deliverDue();
    assert.equal(vonage.requests.length, 4, 'delivered once: never again');

    const row = await outboxRow(idp, id);
    assert.equal(row.status, 'sent');
    assert.equal(row.attempts, 4);
    assert.equal(row.params, null);
    const events = await auditOf(idp, id);
    assert.deepEqual(
      events.map((a) => [a.event, a.detail.attempt, a.detail.outcome, a.detail.reason]),
      [
        ['message.attempt', 1, 'temporary', 'vonage http 503'],
        ['message.attempt', 2, 'temporary', 'vonage http 502'],
        ['message.attempt', 3, 'temporary', 'vonage http 500'],
        ['message.attempt', 4, 'sent', undefined],
        ['message.sent', undefined, undefined, undefined],
      ],
    );
    assert.equal(events[0]!.detail.to, '+47*****432', 'the audit shows a masked number');
    assert.ok(!(await storedText(idp)).includes(code));
  });

  test('Vonage "throttled" is temporary: tried again after the back-off', async () => {
    vonage.replies.push(rejected('1', 'Throttled'));
    const id = await enqueueTest(idp, clock, { channel: 'sms', to: '+4790000001', code: newCode() });
    await idp.outbox.deliverDue();
    assert.equal((await outboxRow(idp, id)).status, 'pending');
    clock += retryDelay(1);
    assert.equal(await idp.outbox.deliverDue(), 1);
    assert.equal(vonage.requests.length, 2);
    assert.equal((await auditOf(idp, id))[0]!.detail.reason, 'vonage status 1: Throttled');
  });

  test('an invalid number is permanent: not retried, audited, the code removed', async () => {
    vonage.replies.push(rejected('6', 'Invalid Message'));
    const code = newCode();
    const id = await enqueueTest(idp, clock, { channel: 'sms', to: '+4740000000', code });
    assert.equal(await idp.outbox.deliverDue(), 0);
    clock += 60 * 60_000;
    await idp.outbox.deliverDue();
    assert.equal(vonage.requests.length, 1, 'not retried');

    const row = await outboxRow(idp, id);
    assert.equal(row.status, 'failed');
    assert.equal(row.params, null);
    assert.equal(row.last_error, 'permanent: vonage status 6: Invalid Message');
    assert.deepEqual(
      (await auditOf(idp, id)).map((a) => [a.event, a.detail.outcome, a.detail.reason]),
      [
        ['message.attempt', 'permanent', 'vonage status 6: Invalid Message'],
        ['message.failed', undefined, 'vonage status 6: Invalid Message'],
      ],
    );
    assert.ok(!(await storedText(idp)).includes(code));
  });

  test('bad Vonage credentials are permanent too', async () => {
    vonage.replies.push(rejected('4', 'Bad Credentials'));
    const id = await enqueueTest(idp, clock, { channel: 'sms', to: '+4790000002', code: newCode() });
    await idp.outbox.deliverDue();
    assert.equal((await outboxRow(idp, id)).status, 'failed');
  });

  test('a number outside the allowed country codes (+47) is never sent to, and the refusal is audited', async () => {
    const code = newCode();
    const swedish = await enqueueTest(idp, clock, { channel: 'sms', to: '+46701234567', code });
    const premium = await enqueueTest(idp, clock, { channel: 'sms', to: '+88212345678', code });
    const lookalike = await enqueueTest(idp, clock, { channel: 'sms', to: '+4', code });
    await idp.outbox.deliverDue();
    clock += 60 * 60_000;
    await idp.outbox.deliverDue();
    assert.equal(vonage.requests.length, 0, 'the SMS API was never called');
    for (const id of [swedish, premium, lookalike]) {
      const row = await outboxRow(idp, id);
      assert.equal(row.status, 'failed');
      assert.equal(row.params, null);
      const events = await auditOf(idp, id);
      assert.equal(events.at(-1)!.event, 'message.refused');
      assert.match(String(events.at(-1)!.detail.reason), /country code not allowed/);
    }
    assert.ok(!(await storedText(idp)).includes(code));
  });

  test('SMTP: a rejected mailbox (550) is permanent, a 451 is retried', async () => {
    const gone = await enqueueTest(idp, clock, { channel: 'email', to: 'gone@example.org', code: newCode() });
    const busy = await enqueueTest(idp, clock, { channel: 'email', to: 'busy@example.org', code: newCode() });
    await idp.outbox.deliverDue();
    assert.equal((await outboxRow(idp, gone)).status, 'failed');
    assert.match((await auditOf(idp, gone)).at(-1)!.detail.reason as string, /smtp EENVELOPE 550/);
    const row = await outboxRow(idp, busy);
    assert.equal(row.status, 'pending');
    assert.match(row.last_error!, /451/);
    assert.equal(smtp.messages.length, 0);
  });

  test('an address that would inject headers is refused before SMTP', async () => {
    const id = await enqueueTest(idp, clock, { channel: 'email', to: 'a@b.no\r\nBcc: x@evil.example', code: newCode() });
    await idp.outbox.deliverDue();
    assert.equal(smtp.messages.length, 0);
    const row = await outboxRow(idp, id);
    assert.equal(row.status, 'failed');
    assert.match(row.last_error!, /not a valid e-mail address/);
  });

  test('temporary failures stop at the expiry: the message expires, is never sent late, and is audited', async () => {
    vonage.replies.push(...Array.from({ length: 20 }, () => httpError(503)));
    const code = newCode();
    const id = await enqueueTest(idp, clock, { channel: 'sms', to: '+4790000003', code, ttlMs: 60_000 });
    for (let i = 0; i < 10; i++) {
      await idp.outbox.deliverDue();
      clock += 10_000;
    }
    const tries = vonage.requests.length;
    assert.ok(tries >= 3 && tries < 10, `retried with back-off within the minute (${tries})`);
    vonage.replies.length = 0; // the API works again, but too late
    clock += 60 * 60_000;
    await idp.outbox.deliverDue();
    assert.equal(vonage.requests.length, tries, 'nothing is sent after the secret expired');
    const row = await outboxRow(idp, id);
    assert.equal(row.status, 'expired');
    assert.equal(row.params, null);
    assert.equal((await auditOf(idp, id)).at(-1)!.event, 'message.expired');
    assert.ok(!(await storedText(idp)).includes(code));
  });

  test('a message claimed by a process that died is sent once its lease runs out, never while it is fresh', async () => {
    const dead = await enqueueTest(idp, clock, { channel: 'email', to: 'dead@example.org', code: newCode() });
    const fresh = await enqueueTest(idp, clock, { channel: 'email', to: 'fresh@example.org', code: newCode() });
    const late = await enqueueTest(idp, clock, { channel: 'email', to: 'late@example.org', code: newCode(), ttlMs: 60_000 });
    // As a killed process leaves them: claimed, attempt counted, never finished.
    await idp.db('outbox').where({ id: dead }).update({ status: 'sending', claimed_by: 'killed', claimed_at: clock - LEASE_MS, attempts: 1 });
    await idp.db('outbox').where({ id: fresh }).update({ status: 'sending', claimed_by: 'alive', claimed_at: clock - 1000, attempts: 1 });
    await idp.db('outbox').where({ id: late }).update({ status: 'sending', claimed_by: 'killed', claimed_at: clock - LEASE_MS, attempts: 1 });
    clock += 60_000; // `late` has expired meanwhile

    assert.equal(await idp.outbox.deliverDue(), 1);
    assert.deepEqual(smtp.messages.map((m) => m.to[0]), ['dead@example.org']);
    assert.equal((await outboxRow(idp, dead)).status, 'sent');
    assert.equal((await outboxRow(idp, fresh)).status, 'sending', 'a live claim is left alone');
    assert.equal((await outboxRow(idp, late)).status, 'expired', 'never sent after expiry');

    clock += LEASE_MS;
    assert.equal(await idp.outbox.deliverDue(), 1);
    assert.deepEqual(smtp.messages.map((m) => m.to[0]), ['dead@example.org', 'fresh@example.org']);
    assert.equal((await outboxRow(idp, fresh)).attempts, 2);
  });

  test('/readyz reports the backlog and the age of the oldest undelivered message; /healthz answers', async () => {
    await idp.outbox.deliverDue();
    await idp.db('outbox').whereIn('status', ['pending', 'sending']).delete();
    let ready = await fetch(`${idp.issuer}/readyz`);
    assert.equal(ready.status, 200);
    assert.match(ready.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(((await ready.json()) as any).outbox.backlog, 0);

    vonage.replies.push(httpError(503));
    const code = newCode();
    await enqueueTest(idp, clock, { channel: 'sms', to: '+4790000004', code });
    await idp.outbox.deliverDue();
    await enqueueTest(idp, clock + 5_000, { channel: 'email', to: 'wait@example.org', code: newCode() });
    clock += 90_000;
    ready = await fetch(`${idp.issuer}/readyz`);
    const body = (await ready.json()) as any;
    assert.equal(body.status, 'ready');
    assert.equal(body.outbox.backlog, 2);
    assert.equal(body.outbox.oldestUndeliveredAgeSeconds, 90);
    assert.ok(body.outbox.failed >= 1);
    const raw = JSON.stringify(body);
    assert.ok(!raw.includes(code) && !raw.includes('4790000004') && !raw.includes('wait@'), 'no secret, no recipient');

    const health = await fetch(`${idp.issuer}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    await idp.outbox.deliverDue();
  });

  test('`hk-idp outbox list` shows pending and failed messages, never their content', async () => {
    vonage.replies.push(httpError(503), rejected('7', 'Number Barred'));
    const pendingCode = newCode();
    const failedCode = newCode();
    // One at a time, so the stand-in's answers meet the intended messages.
    const pending = await enqueueTest(idp, clock, { channel: 'sms', to: '+4790000005', code: pendingCode });
    await idp.outbox.deliverDue();
    const failed = await enqueueTest(idp, clock, { channel: 'sms', to: '+4790000006', code: failedCode });
    await idp.outbox.deliverDue();
    const sent = await enqueueTest(idp, clock, { channel: 'email', to: 'listed@example.org', code: newCode() });
    await idp.outbox.deliverDue();
    await enqueueTest(idp, clock, { channel: 'email', to: 'x@y.no\n1  sent  forged', code: newCode() });
    await idp.outbox.deliverDue();

    const lines: string[] = [];
    const code = await runCli(['outbox', 'list'], { db: idp.db, settings: idp.settings, out: (l) => lines.push(l), err: (l) => lines.push(l) });
    assert.equal(code, 0);
    const output = lines.join('\n');
    assert.match(output, new RegExp(`^${pending}  pending  sms    test\\.code  to=\\+4790000005  attempts=1 .*error=vonage http 503`, 'm'));
    assert.match(output, new RegExp(`^${failed}  failed   sms    test\\.code  to=\\+4790000006 .*error=permanent: vonage status 7: Number Barred`, 'm'));
    assert.ok(!new RegExp(`^${sent} `, 'm').test(output), 'delivered messages are not listed by default');
    assert.ok(!output.includes(pendingCode) && !output.includes(failedCode));
    assert.ok(output.includes('to=x@y.no\\n1  sent  forged'), 'a stored control character is printed escaped');
    assert.ok(!/^1  sent  forged/m.test(output), 'so it cannot forge a line');

    lines.length = 0;
    await runCli(['outbox', 'list', '--status', 'sent'], { db: idp.db, settings: idp.settings, out: (l) => lines.push(l), err: (l) => lines.push(l) });
    assert.match(lines.join('\n'), new RegExp(`^${sent}  sent `, 'm'));
    assert.equal(await runCli(['outbox', 'list', '--status', 'nonsense'], { db: idp.db, settings: idp.settings, out: () => {}, err: () => {} }), 65);

    clock += 60 * 60_000;
    await idp.outbox.deliverDue();
  });
});

describe('SMTP down when the request is made', () => {
  test('the request answers at once; the mail arrives when SMTP is back', async () => {
    const port = await freePort(); // nothing listens here yet: SMTP is down
    let clock = Date.UTC(2026, 0, 5, 9, 0, 0);
    const database = await freshDatabase();
    const settings = testSettings({ DATABASE_URL: database.databaseUrl, DATA_DIR: database.dataDir, SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM, CONTACT_EMAIL: CONTACT });
    const created = await createIdp(settings, { schema: database.schema, now: () => clock, messageTemplates: testTemplates, outboxIntervalMs: 0, logger: silentLogger() });
    // A stand-in for a flow that sends something: it enqueues in its transaction and answers.
    const code = newCode();
    created.provider.use(async (ctx, next) => {
      if (ctx.path !== '/test/order' || ctx.method !== 'POST') return next();
      await created.db.transaction((trx) => enqueueTest({ ...idp, db: trx }, clock, { channel: 'email', to: 'kari@example.org', code }));
      ctx.body = 'Dersom e-postadressen er registrert hos oss, får du snart en e-post.';
    });
    const server = await created.listen(0, '127.0.0.1');
    const idp = { ...created, issuer: `http://127.0.0.1:${portOf(server)}` };
    let smtp: FakeSmtp | undefined;
    try {
      // (Not timed: a refused connection fails fast, so a send inside the request would not be slow;
      // the attempts count below is what shows none was made.)
      const response = await fetch(`${idp.issuer}/test/order`, { method: 'POST' });
      assert.equal(response.status, 200);
      assert.match(await response.text(), /får du snart en e-post/);
      const [row] = await idp.db('outbox').select();
      assert.equal(row.status, 'pending');
      assert.equal(row.attempts, 0, 'nothing was tried inside the request');

      await idp.outbox.deliverDue();
      const failedOnce = await idp.db('outbox').where({ id: row.id }).first();
      assert.equal(failedOnce!.status, 'pending');
      assert.match(failedOnce!.last_error!, /ECONNREFUSED|ESOCKET/);
      assert.equal((await auditOf(idp, row.id))[0]!.detail.outcome, 'temporary');

      smtp = await startFakeSmtp({ port });
      clock += retryDelay(1);
      assert.equal(await idp.outbox.deliverDue(), 1);
      assert.equal(smtp.messages.length, 1);
      assert.ok(smtp.messages[0]!.parsed.text!.includes(code));
      const done = await idp.db('outbox').where({ id: row.id }).first();
      assert.equal(done!.status, 'sent');
      assert.equal(done!.params, null);
      assert.ok(!(await storedText(idp)).includes(code));
    } finally {
      await idp.close();
      await database.drop();
      await smtp?.close();
    }
  });
});

describe('without SMTP and Vonage (development)', () => {
  test('messages go to the development outbox, rendered with the same frame, and the SMS allow-list still applies', async () => {
    let clock = Date.UTC(2026, 0, 5, 9, 0, 0);
    const idp = await startIdp({ CONTACT_EMAIL: CONTACT }, { now: () => clock, messageTemplates: testTemplates, outboxIntervalMs: 0 });
    try {
      assert.ok(idp.devOutbox, 'the development outbox is on');
      const code = newCode();
      await enqueueTest(idp, clock, { channel: 'email', to: 'kari@example.org', code });
      await enqueueTest(idp, clock, { channel: 'sms', to: '+4791234567', code });
      const refused = await enqueueTest(idp, clock, { channel: 'sms', to: '+46701234567', code });
      assert.equal(await idp.outbox.deliverDue(), 2);
      // Delivered in parallel: found by channel, not by order.
      const sms = idp.devOutbox!.find((m) => m.channel === 'sms');
      const email = idp.devOutbox!.find((m) => m.channel === 'email');
      assert.equal(email!.subject, 'Din testkode');
      assert.ok(email!.text.includes(`Kontakt oss på ${CONTACT}`));
      assert.ok(email!.html.includes(code));
      assert.equal(sms!.text, `Testkoden din fra HK: ${code}. Gjelder i 10 minutter.`);
      assert.equal(idp.devOutbox!.length, 2);
      assert.equal((await outboxRow(idp, refused)).status, 'failed');
    } finally {
      await idp.close();
    }
  });
});

describe('the real flows deliver through SMTP and Vonage', () => {
  let smtp: FakeSmtp;
  let vonage: FakeVonage;
  let idp: TestIdp;
  before(async () => {
    smtp = await startFakeSmtp();
    vonage = await startFakeVonage();
    idp = await startIdp(
      { SMTP_URL: smtp.url, MAIL_FROM, VONAGE_API_KEY: 'test-api-key', VONAGE_API_SECRET: 'test-api-secret', SMS_SENDER: 'HK', VONAGE_REST_HOST: vonage.url, CONTACT_EMAIL: CONTACT },
      { outboxIntervalMs: 0 },
    );
  });
  after(async () => {
    await idp.close();
    await smtp.close();
    await vonage.close();
  });

  async function order(member: { memberNumber: string | null }, channel: 'sms' | 'email', address: string, lang = 'nb') {
    const rp = await registerRp(idp);
    const browser = new Browser({ 'accept-language': lang });
    const { page } = await rp.start(browser);
    const form = await browser.go(new URL(/href="([^"]+first-time-password)"/.exec(page.html)![1]!, page.url));
    return browser.submit(form, { member_number: member.memberNumber!, channel, [channel === 'sms' ? 'mobile' : 'email']: address });
  }

  test('an ordered first-time password arrives by SMTP, with both parts, in the language of the page', async () => {
    const member = await createMember(idp, { email: 'ola@example.org', language: 'nb' });
    const answer = await order(member, 'email', 'ola@example.org', 'en');
    assert.equal(answer.status, 200);
    assert.equal(smtp.messages.length, 0, 'nothing is sent inside the request');
    assert.equal(await idp.outbox.deliverDue(), 1);
    const mail = smtp.messages.at(-1)!;
    assert.deepEqual(mail.to, ['ola@example.org']);
    assert.equal(mail.parsed.subject, 'Your first-time password from Handel og Kontor');
    assert.match(mail.parsed.text!, /Here is your first-time password/);
    assert.match(mail.parsed.text!, /\n    [a-z2-9]{4} [a-z2-9]{4} [a-z2-9]{4}\n/);
    assert.match(mail.parsed.html as string, /<html lang="en">/);
    assert.equal((await idp.db('outbox').where({ status: 'sent' }).whereNotNull('params')).length, 0, 'no secret left behind');
  });

  test('an ordered first-time password arrives at the Vonage stand-in with the configured sender', async () => {
    const member = await createMember(idp, { mobile: '98712345' });
    vonage.replies.push(accepted('4798712345'));
    await order(member, 'sms', '987 12 345');
    assert.equal(await idp.outbox.deliverDue(), 1);
    const request = vonage.requests.at(-1)!;
    assert.equal(request.body.from, 'HK');
    assert.equal(request.body.to, '4798712345');
    assert.match(request.body.text!, /førstegangspassord fra HK: [a-z2-9]{4} [a-z2-9]{4} [a-z2-9]{4}/);
  });
});
