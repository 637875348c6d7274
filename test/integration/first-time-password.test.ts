// Member first-time passwords over HTTP with openid-client as the app: ordering, the wipe, first
// login, choosing username and password, caseworker help, and the audit log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { findAccountById } from '../../src/accounts/accounts.ts';
import { generateFirstTimePassword } from '../../src/accounts/first-time-passwords.ts';
import { typedKey } from '../../src/accounts/sign-in.ts';
import { limitKey } from '../../src/security/ip.ts';
import { latestAudit } from '../../src/audit/audit.ts';
import { runCli } from '../../src/cli/run.ts';
import type { Connector, MessageRequest } from '../../src/delivery/delivery.ts';
import { Browser, decode, textOf, type Page } from '../support/browser.ts';
import { createMember, newMemberNumber } from '../support/accounts.ts';
import { statementsOf } from '../support/db.ts';
import { replaceFlow, savedFlow, uidOf } from '../support/flow-state.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { CALLBACK, registerRp, type Rp } from '../support/rp.ts';

const OLD_PASSWORD = 'gammelt-passord-fra-2019';
const NEW_PASSWORD = 'sommerferie på Senja med kajakk';

/** The order form's fields: the mobile or e-mail field, by channel. */
const orderForm = ({ contact, ...fields }: { member_number: string; channel: 'sms' | 'email'; contact: string }) => ({
  ...fields,
  [fields.channel === 'sms' ? 'mobile' : 'email']: contact,
});

/** Test helpers bound to one server. */
function helpers(idp: TestIdp, rp: Rp) {
  const linkOn = (page: Page, text: string) => {
    const match = [...page.html.matchAll(/<a [^>]*href="([^"]+)"[^>]*>([^<]*)<\/a>/g)].find((m) => decode(m[2]!) === text);
    assert.ok(match, `no link "${text}" on the page:\n${textOf(page.html)}`);
    return new URL(decode(match[1]!), page.url);
  };

  /** A fresh browser at the member sign-in page of `app`. */
  async function signInPage(app: Rp = rp, headers: Record<string, string> = {}) {
    const browser = new Browser(headers);
    const { page, verifier, state } = await app.start(browser);
    assert.equal(page.status, 200);
    return { browser, page, verifier, state };
  }

  /** Orders a first-time password; returns the raw answer to the POST and the page it leads to. */
  async function order(fields: { member_number: string; channel: 'sms' | 'email'; contact: string }, lang: 'nb' | 'en' = 'nb') {
    await deliver(); // whatever earlier tests left is not this order's
    const { browser, page } = await signInPage(rp, { 'accept-language': lang });
    const form = await browser.go(linkOn(page, lang === 'nb' ? 'Jeg vil ha eller har glemt passord' : 'I want a password or have forgotten mine'));
    assert.match(textOf(form.html), lang === 'nb' ? /Bestill førstegangspassord/ : /Order a first-time password/);
    // stopAt the issuer: the POST's own answer, not followed.
    const answer = await browser.submit(form, orderForm(fields), { action: /first-time-password$/, stopAt: idp.issuer });
    const shown = answer.location ? await browser.go(answer.location) : answer;
    return { browser, form, answer, shown };
  }

  // The worker also runs on its own timer, so "new" means newer than the last message a test saw.
  let seen = 0;
  /** Delivers what is queued and returns the messages that went out since the last call, oldest first. */
  async function deliver() {
    await idp.outbox.deliverDue();
    const fresh = idp.devOutbox!.filter((m) => m.id > seen).reverse();
    seen = Math.max(seen, ...idp.devOutbox!.map((m) => m.id));
    return fresh;
  }

  const passwordIn = (text: string) => {
    const match = /\b([a-z2-9]{4} [a-z2-9]{4} [a-z2-9]{4})\b/.exec(text);
    assert.ok(match, `no first-time password in: ${text}`);
    return match[1]!;
  };

  /** Orders by SMS with the registered mobile and returns the first-time password that arrived. */
  async function firstTimePasswordFor(member: { memberNumber: string | null; mobile: string | null }) {
    await order({ member_number: member.memberNumber!, channel: 'sms', contact: member.mobile! });
    const sent = await deliver();
    assert.equal(sent.length, 1);
    return passwordIn(sent[0]!.text);
  }

  /** "Jeg har fått nytt passord/PIN" from the sign-in page of a fresh browser. */
  async function firstLogin(memberNumber: string, password: string, app: Rp = rp) {
    const start = await signInPage(app);
    const form = await start.browser.go(linkOn(start.page, 'Jeg har fått nytt passord/PIN'));
    const result = await start.browser.submit(form, { member_number: memberNumber, password }, { stopAt: CALLBACK });
    return { ...start, result };
  }

  async function passwordSignIn(identifier: string, password: string, app: Rp = rp) {
    const start = await signInPage(app);
    const result = await start.browser.submit(start.page, { identifier, password }, { stopAt: CALLBACK });
    return { ...start, result };
  }

  return { linkOn, signInPage, order, deliver, passwordIn, firstTimePasswordFor, firstLogin, passwordSignIn };
}

/** Every row of the tables that could hold a secret, as one string. */
async function dump(idp: TestIdp): Promise<string> {
  const tables = ['accounts', 'first_time_passwords', 'outbox', 'audit_log', 'oidc_store'];
  return JSON.stringify(await Promise.all(tables.map((table) => idp.db(table).select())));
}

describe('member first-time passwords (wipe on order, the default)', () => {
  let idp: TestIdp;
  let rp: Rp;
  let h: ReturnType<typeof helpers>;

  before(async () => {
    idp = await startIdp();
    rp = await registerRp(idp);
    h = helpers(idp, rp);
  });
  after(() => idp.close());

  test('the sign-in page links to ordering and to first login; ordering says the old is wiped', async () => {
    const { browser, page } = await h.signInPage();
    h.linkOn(page, 'Jeg har fått nytt passord/PIN');
    const form = await browser.go(h.linkOn(page, 'Jeg vil ha eller har glemt passord'));
    assert.match(textOf(form.html), /Når du bestiller førstegangspassord, slettes det gamle passordet og brukernavnet ditt/);
  });

  test('the pages are in English for an English browser', async () => {
    const browser = new Browser({ 'accept-language': 'en' });
    const { page } = await rp.start(browser);
    const form = await browser.go(h.linkOn(page, 'I want a password or have forgotten mine'));
    assert.match(form.html, /<html lang="en">/);
    assert.match(textOf(form.html), /Order a first-time password .*How do you want to receive the first-time password\?/);
    const sent = await browser.submit(form, { member_number: '99999990', channel: 'sms', mobile: '98765431' });
    assert.match(textOf(sent.html), /you will receive a first-time password shortly\. It is valid for 24 hours\./);
    const first = await browser.go(h.linkOn(sent, 'I have received a new password/PIN'));
    assert.match(textOf(first.html), /Sign in with a first-time password/);
    const failed = await browser.submit(first, { member_number: '99999990', password: 'abcd efgh jkmn' });
    assert.match(textOf(failed.html), /Wrong member number or first-time password, or the password has expired\./);
  });

  test('the registered mobile in another notation gets one SMS, at the stored number, in Norwegian', async () => {
    const member = await createMember(idp, { mobile: '98765432' });
    assert.equal(member.mobile, '+4798765432');
    const { answer, shown } = await h.order({ member_number: member.memberNumber!, channel: 'sms', contact: '+47 987 65 432' });
    assert.equal(answer.status, 303);
    assert.match(textOf(shown.html), /Dersom medlemsnummeret og mobilnummeret eller e-postadressen stemmer/);

    const sent = await h.deliver();
    assert.equal(sent.length, 1);
    const sms = sent[0]!;
    assert.equal(sms.channel, 'sms');
    assert.equal(sms.to, '+4798765432');
    assert.equal(sms.kind, 'first-time-password');
    assert.match(sms.text, /førstegangspassord fra HK/);
    assert.match(sms.text, /Det er gyldig i 24 timer/);
    const password = h.passwordIn(sms.text);
    assert.equal(password.replace(/ /g, '').length, 12);
    assert.ok(sms.text.length <= 160, `one SMS segment: ${sms.text.length} characters`);

    // Stored only as a hash: the password is nowhere in the database, also not once delivered.
    const db = await dump(idp);
    assert.ok(!db.includes(password) && !db.includes(password.replace(/ /g, '')), 'the first-time password is not in the database');
    const [audit] = await latestAudit(idp.db, 1, { event: 'first_time_password.ordered', accountId: member.id });
    assert.deepEqual(audit!.detail, { channel: 'sms', sent: true });
    assert.equal(audit!.clientId, rp.clientId);
    assert.ok(audit!.ip, 'the IP is recorded');
    assert.ok(audit!.userAgent, 'the user agent is recorded');
  });

  test('a wrong mobile, an unknown member and an inactive member get the identical answer, and nothing is sent', async () => {
    const member = await createMember(idp, { mobile: '41234567' });
    const inactive = await createMember(idp, { mobile: '41234568', status: 'inactive' });
    const matching = await createMember(idp, { mobile: '41234569' });
    const cases = {
      wrongMobile: { member_number: member.memberNumber!, channel: 'sms' as const, contact: '41234560' },
      unknownMember: { member_number: '99999998', channel: 'sms' as const, contact: '41234567' },
      inactiveMember: { member_number: inactive.memberNumber!, channel: 'sms' as const, contact: '41234568' },
      wrongChannel: { member_number: member.memberNumber!, channel: 'email' as const, contact: 'someone.else@example.org' },
      match: { member_number: matching.memberNumber!, channel: 'sms' as const, contact: '41234569' },
    };
    const results: Record<string, Awaited<ReturnType<typeof h.order>>> = {};
    for (const [name, fields] of Object.entries(cases)) results[name] = await h.order(fields);

    const uid = /\/interaction\/([\w-]+)/;
    // The page repeats what was typed (so a typo can be seen); everything else must be identical.
    const normalise = (html: string) =>
      html.replace(/\/interaction\/[\w-]+/g, '/interaction/UID').replace(/name="csrf" value="[^"]+"/g, '').replace(/<p>Du ba om førstegangspassord [^<]*<\/p>/, '');
    const reference = results.match!;
    for (const [name, result] of Object.entries(results)) {
      assert.equal(result.answer.status, 303, name);
      assert.equal(result.answer.location?.replace(uid, '/interaction/UID'), reference.answer.location?.replace(uid, '/interaction/UID'), name);
      assert.deepEqual(result.answer.headers.getSetCookie().map((c) => c.replace(/=[^;]*/, '=')), reference.answer.headers.getSetCookie().map((c) => c.replace(/=[^;]*/, '=')), name);
      assert.equal(result.shown.status, 200, name);
      assert.equal(normalise(result.shown.html), normalise(reference.shown.html), name);
    }

    const sent = await h.deliver();
    assert.deepEqual(sent.map((m) => m.to), ['+4741234569'], 'only the match is sent');
    // Nothing changed for the others, and the reason is in the audit log for the operator.
    const reasons = (await latestAudit(idp.db, 5, { event: 'first_time_password.ordered' })).map((row) => row.detail.reason ?? 'sent');
    assert.deepEqual(reasons.reverse(), ['contact_mismatch', 'unknown_member', 'inactive', 'contact_mismatch', 'sent']);
    assert.equal(await idp.db('first_time_passwords').whereIn('account_id', [member.id, inactive.id]).count({ n: '*' }).first().then((r) => Number(r!.n)), 0);
  });

  test('an invalid member number or contact is pointed out, and nothing is ordered', async () => {
    const { shown } = await h.order({ member_number: 'abc', channel: 'sms', contact: '12' });
    assert.equal(shown.status, 400);
    const text = textOf(shown.html);
    assert.match(text, /Skriv inn medlemsnummeret ditt\. Det består bare av siffer\./);
    assert.match(text, /Skriv inn mobilnummeret ditt, for eksempel 987 65 432/);
    assert.deepEqual(await h.deliver(), []);
  });

  test('the registered e-mail in another case gets an e-mail, in English when ordered from the English page', async () => {
    // The register says Norwegian; the person reads English pages: the message is in English.
    const member = await createMember(idp, { email: 'Ola.Nordmann@Example.org', language: 'nb' });
    assert.equal(member.email, 'ola.nordmann@example.org');
    await h.order({ member_number: member.memberNumber!, channel: 'email', contact: '  OLA.nordmann@example.ORG ' }, 'en');
    const sent = await h.deliver();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.channel, 'email');
    assert.equal(sent[0]!.to, 'ola.nordmann@example.org');
    assert.equal(sent[0]!.subject, 'Your first-time password from Handel og Kontor');
    assert.match(sent[0]!.text, /It is valid for 24 hours/);
    assert.match(sent[0]!.html, /<p[ >]/);
    // The password works for first login.
    const { result } = await h.firstLogin(member.memberNumber!, h.passwordIn(sent[0]!.text));
    assert.match(textOf(result.html), /Velg brukernavn og passord/);
  });

  test('an English-speaking member ordering from the Norwegian page gets the SMS in Norwegian', async () => {
    const member = await createMember(idp, { language: 'en' });
    await h.order({ member_number: member.memberNumber!, channel: 'sms', contact: member.mobile! }, 'nb');
    const sent = await h.deliver();
    assert.equal(sent.length, 1);
    assert.match(sent[0]!.text, /førstegangspassord fra HK/);
  });

  test('ordering wipes the old: session ended, refresh token revoked, password and username deleted', async () => {
    const member = await createMember(idp, { password: OLD_PASSWORD, username: 'Wenche.Wipe' });
    const { browser, result, verifier, state } = await h.passwordSignIn(member.memberNumber!, OLD_PASSWORD);
    const tokens = await rp.finish(result.location!, verifier, state);
    assert.ok(tokens.refresh_token);
    // The session works before the order.
    assert.ok((await rp.start(browser, { prompt: 'none' })).page.location?.startsWith(CALLBACK));

    await h.firstTimePasswordFor(member);

    const silent = await rp.start(browser, { prompt: 'none' });
    assert.match(silent.page.location ?? '', /error=login_required/, 'the session has ended');
    await assert.rejects(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!), (error: Error & { error?: string }) => error.error === 'invalid_grant');
    const stored = await findAccountById(idp.db, member.id);
    assert.equal(stored!.passwordHash, null);
    assert.equal(stored!.username, null);
    assert.equal((await h.passwordSignIn(member.memberNumber!, OLD_PASSWORD)).result.status, 400, 'the old password is gone');
    assert.equal((await h.passwordSignIn('wenche.wipe', OLD_PASSWORD)).result.status, 400, 'the old username is gone');
    const [wiped] = await latestAudit(idp.db, 1, { event: 'credentials.wiped', accountId: member.id });
    assert.deepEqual(wiped!.detail, { moment: 'on-order' });
  });

  test('first login: the app receives its code only after a username and password are chosen', async () => {
    const member = await createMember(idp, { givenName: 'Frida' });
    const password = await h.firstTimePasswordFor(member);
    // Typed without the spaces and in capitals: still the same password.
    const { browser, result, verifier, state } = await h.firstLogin(member.memberNumber!, password.replace(/ /g, '').toUpperCase());
    assert.equal(result.status, 200);
    assert.equal(result.location, undefined, 'no redirect to the app');
    assert.match(result.url, /\/credentials$/);
    assert.match(textOf(result.html), /Velg brukernavn og passord/);
    assert.match(result.html, /autocomplete="new-password"/);

    // A silent sign-in gets no code at this point.
    const silent = await rp.start(browser, { prompt: 'none' });
    assert.match(silent.page.location ?? '', /error=login_required/);
    assert.equal(await idp.db('oidc_store').where({ model: 'AuthorizationCode', account_id: member.id }).count({ n: '*' }).first().then((r) => Number(r!.n)), 0);

    const done = await browser.submit(result, { username: 'frida.f', password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, { stopAt: CALLBACK });
    assert.equal(done.status, 303);
    assert.ok(done.location?.startsWith(CALLBACK), `expected the app's callback, got ${done.location}`);
    const tokens = await rp.finish(done.location!, verifier, state);
    assert.equal(tokens.claims()!.sub, member.id);
    const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, member.id);
    assert.equal(userinfo.preferred_username, 'frida.f');

    // The first-time password is used up.
    const again = await h.firstLogin(member.memberNumber!, password);
    assert.equal(again.result.status, 400);
    assert.match(textOf(again.result.html), /Feil medlemsnummer eller førstegangspassord, eller passordet er utløpt\./);

    // From now on: username or member number + own password.
    const byUsername = await h.passwordSignIn('Frida.F', NEW_PASSWORD);
    assert.equal((await rp.finish(byUsername.result.location!, byUsername.verifier, byUsername.state)).claims()!.sub, member.id);
    const byNumber = await h.passwordSignIn(member.memberNumber!, NEW_PASSWORD);
    assert.equal((await rp.finish(byNumber.result.location!, byNumber.verifier, byNumber.state)).claims()!.sub, member.id);

    const events = (await latestAudit(idp.db, 20, { accountId: member.id })).map((row) => row.event).filter((event) => !event.startsWith('message.')).reverse();
    assert.deepEqual(events.slice(0, 7), [
      'credentials.wiped',
      'first_time_password.ordered',
      'first_time_password.accepted',
      'username.set',
      'password.set',
      'sign_in.succeeded',
      'sign_in.failed',
    ]);
    const db = await dump(idp);
    assert.ok(!db.includes(NEW_PASSWORD) && !db.includes(password.replace(/ /g, '')), 'no secret in the database');
  });

  test('resuming the authorization before choosing credentials starts the sign-in over, with no code', async () => {
    const member = await createMember(idp);
    const { browser, result } = await h.firstLogin(member.memberNumber!, await h.firstTimePasswordFor(member));
    const uid = /\/interaction\/([\w-]+)\//.exec(result.url)![1]!;
    const resumed = await browser.go(`${idp.issuer}/auth/${uid}`, {}, CALLBACK);
    assert.ok(!resumed.location?.startsWith(CALLBACK), 'resuming does not reach the app');
    assert.match(textOf(resumed.html), /Medlemsnummer eller brukernavn/, 'back at the sign-in page');
    assert.equal((await findAccountById(idp.db, member.id))!.passwordHash, null);
  });

  test('a wrong first-time password, or a wrong member number, gets the same answer', async () => {
    const member = await createMember(idp);
    const password = await h.firstTimePasswordFor(member);
    const pages = [
      (await h.firstLogin(member.memberNumber!, 'abcd efgh jkmn')).result,
      (await h.firstLogin('99999997', password)).result,
      (await h.firstLogin(newMemberNumber(), password)).result,
    ];
    const normalise = (html: string) => html.replace(/\/interaction\/[\w-]+/g, '').replace(/name="csrf" value="[^"]+"/g, '').replace(/value="\d+"/, '');
    for (const page of pages) {
      assert.equal(page.status, 400);
      assert.equal(normalise(page.html), normalise(pages[0]!.html));
    }
  });

  test('an earlier first-time password stops working when a new one is ordered', async () => {
    const member = await createMember(idp);
    const first = await h.firstTimePasswordFor(member);
    const second = await h.firstTimePasswordFor(member);
    assert.notEqual(first, second);
    assert.equal((await h.firstLogin(member.memberNumber!, first)).result.status, 400);
    assert.equal((await h.firstLogin(member.memberNumber!, second)).result.status, 200);
  });

  test('a first-login step in progress is void once a newer first-time password is ordered', async () => {
    const member = await createMember(idp);
    const { browser, result } = await h.firstLogin(member.memberNumber!, await h.firstTimePasswordFor(member));
    await h.firstTimePasswordFor(member);
    const page = await browser.submit(result, { username: 'void.step', password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, { stopAt: CALLBACK });
    assert.equal(page.status, 400);
    assert.match(textOf(page.html), /Førstegangspassordet er ikke lenger gyldig/);
    assert.equal((await findAccountById(idp.db, member.id))!.passwordHash, null);
  });

  test('username rules: taken (in another case), all digits, too short — each says why, nothing is saved', async () => {
    await createMember(idp, { password: OLD_PASSWORD, username: 'Ola.Opptatt' });
    const member = await createMember(idp);
    const { browser, result } = await h.firstLogin(member.memberNumber!, await h.firstTimePasswordFor(member));
    const cases: [string, RegExp][] = [
      ['ola.opptatt', /Brukernavnet er allerede i bruk\. Velg et annet\./],
      ['12345678', /Brukernavnet kan ikke bare være tall/],
      ['ab', /Brukernavnet må ha fra 3 til 100 tegn\./],
      ['ola nordmann', /Brukernavnet kan ikke inneholde mellomrom/],
    ];
    for (const [username, message] of cases) {
      const page = await browser.submit(result, { username, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, { stopAt: CALLBACK });
      assert.equal(page.status, 400, username);
      assert.equal(page.location, undefined);
      assert.match(textOf(page.html), message, username);
      assert.match(page.html, /aria-invalid="true"/);
      assert.match(page.html, new RegExp(`value="${username}"`), 'the username typed is kept');
      const stored = await findAccountById(idp.db, member.id);
      assert.equal(stored!.username, null);
      assert.equal(stored!.passwordHash, null);
    }
    // An e-mail address is a fine username.
    const done = await browser.submit(result, { username: 'ola.ny@example.org', password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, { stopAt: CALLBACK });
    assert.ok(done.location?.startsWith(CALLBACK));
  });

  test('password rules: too short, common, the member number, mismatched confirmation — each says why, nothing is saved', async () => {
    const member = await createMember(idp);
    const { browser, result } = await h.firstLogin(member.memberNumber!, await h.firstTimePasswordFor(member));
    const cases: [string, string, RegExp][] = [
      ['kortpassord', 'kortpassord', /Passordet må ha minst 12 tegn\./],
      ['passwordpassword', 'passwordpassword', /Passordet er for vanlig og lett å gjette/],
      ['1qaz2wsx3edc', '1qaz2wsx3edc', /Passordet er for vanlig og lett å gjette/],
      [member.memberNumber! + '12345', member.memberNumber! + '12345', /Passordet kan ikke inneholde medlemsnummeret, brukernavnet eller e-postadressen din\./],
      [`mitt-${member.memberNumber}-passord`, `mitt-${member.memberNumber}-passord`, /Passordet kan ikke inneholde medlemsnummeret/],
      ['eget.brukernavn-123', 'eget.brukernavn-123', /Passordet kan ikke inneholde medlemsnummeret, brukernavnet/],
      [NEW_PASSWORD, NEW_PASSWORD + '!', /Passordene er ikke like\./],
      ['x'.repeat(257), 'x'.repeat(257), /Passordet kan ha høyst 256 tegn\./],
    ];
    for (const [password, confirmation, message] of cases) {
      const page = await browser.submit(result, { username: 'eget.brukernavn', password, confirmation }, { stopAt: CALLBACK });
      assert.equal(page.status, 400, password);
      assert.match(textOf(page.html), message, password);
      assert.ok(!page.html.includes(password), 'the password is not echoed back');
      const stored = await findAccountById(idp.db, member.id);
      assert.equal(stored!.passwordHash, null);
      assert.equal(stored!.username, null);
    }
  });

  test('a long Unicode password works, in any Unicode form', async () => {
    const member = await createMember(idp);
    const { browser, result } = await h.firstLogin(member.memberNumber!, await h.firstTimePasswordFor(member));
    // Well over bcrypt's 72 bytes; "Å" written precomposed here, decomposed at sign-in.
    const long = 'Blåbærsyltetøy på brødskiva 🍓 før vi går over Ålesundsfjellet i tåke og sørpe';
    assert.ok(Buffer.byteLength(long) > 72);
    const done = await browser.submit(result, { username: 'unicode.ulla', password: long, confirmation: long }, { stopAt: CALLBACK });
    assert.ok(done.location?.startsWith(CALLBACK));
    assert.ok((await h.passwordSignIn('unicode.ulla', long.replace('Å', 'A\u030A'))).result.location?.startsWith(CALLBACK));
    assert.ok((await h.passwordSignIn(member.memberNumber!, long)).result.location?.startsWith(CALLBACK));
    // Every character counts: the first 72 bytes alone are not the password.
    assert.equal((await h.passwordSignIn(member.memberNumber!, long.slice(0, 60))).result.status, 400);
  });

  test('the choose-credentials step cannot be reached without a redeemed first-time password', async () => {
    const member = await createMember(idp);
    const { browser, page } = await h.signInPage();
    const uid = /\/interaction\/([\w-]+)/.exec(page.url)![1]!;
    const csrf = decode(/name="csrf" value="([^"]+)"/.exec(page.html)![1]!);
    const get = await browser.request(`${idp.issuer}/interaction/${uid}/credentials`);
    assert.equal(get.status, 303);
    assert.match(get.location ?? '', /\/first-login$/);
    const post = await browser.request(`${idp.issuer}/interaction/${uid}/credentials`, {
      form: { csrf, username: 'snik.snok', password: NEW_PASSWORD, confirmation: NEW_PASSWORD },
    });
    assert.equal(post.status, 303);
    assert.match(post.location ?? '', /\/first-login$/);
    assert.equal((await idp.db('accounts').where({ username_key: 'snik.snok' }).first()) ?? null, null);
    // Ordering without the form token changes nothing.
    const noCsrf = await browser.request(`${idp.issuer}/interaction/${uid}/first-time-password`, {
      form: { member_number: member.memberNumber!, channel: 'sms', mobile: member.mobile! },
    });
    assert.equal(noCsrf.status, 403);
    assert.deepEqual(await h.deliver(), []);
  });

  test('a match and a non-match answer alike (the same work is proven in orders.test.ts; time in npm run check:timing)', async () => {
    const member = await createMember(idp);
    const { browser, page } = await h.signInPage();
    const form = await browser.go(h.linkOn(page, 'Jeg vil ha eller har glemt passord'));
    const action = new URL(decode(/action="([^"]*first-time-password)"/.exec(form.html)![1]!), form.url);
    const csrf = decode(/name="csrf" value="([^"]+)"/.exec(form.html)![1]!);
    const order = (fields: Record<string, string>) => async () => {
      const answer = await browser.request(action, { form: { csrf, channel: 'sms', ...fields } });
      assert.equal(answer.status, 303);
      return answer.location;
    };
    const match = order({ member_number: member.memberNumber!, mobile: member.mobile! });
    const others = {
      wrongMobile: order({ member_number: member.memberNumber!, mobile: '+4790000001' }),
      unknownMember: order({ member_number: '88888888', mobile: member.mobile! }),
    };
    const reference = await match();
    for (const [name, other] of Object.entries(others)) {
      assert.equal(await other(), reference, `${name} is answered like a match`);
    }
    await h.deliver();
  });

  test('caseworker: the command SMSes the registered mobile, shows no password, and the audit log says who', async () => {
    const member = await createMember(idp, { mobile: '+47 936 12 345', password: OLD_PASSWORD });
    const out: string[] = [];
    const err: string[] = [];
    const cli = { db: idp.db, settings: idp.settings, out: (line: string) => out.push(line), err: (line: string) => err.push(line) };
    const code = await runCli(['members', 'send-first-time-password', member.memberNumber!, '--sms', '--by', 'saksbehandler.anne'], cli);
    assert.equal(code, 0, err.join('\n'));
    const sent = await h.deliver();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.channel, 'sms');
    assert.equal(sent[0]!.to, '+4793612345');
    const password = h.passwordIn(sent[0]!.text);
    assert.ok(!out.join('\n').includes(password) && !out.join('\n').replace(/ /g, '').includes(password.replace(/ /g, '')), 'the caseworker never sees it');
    assert.match(out.join('\n'), /ending 345/);

    // Same effect as ordering: the old password is wiped, the first-time password works.
    assert.equal((await h.passwordSignIn(member.memberNumber!, OLD_PASSWORD)).result.status, 400);
    assert.match(textOf((await h.firstLogin(member.memberNumber!, password)).result.html), /Velg brukernavn og passord/);

    const [row] = await latestAudit(idp.db, 1, { event: 'caseworker.first_time_password_sent', accountId: member.id });
    assert.match(row!.actor!, /^saksbehandler\.anne via cli:/, 'the caseworker named and who ran the command');
    assert.deepEqual(row!.detail, { channel: 'sms', sent: true });
    const tail: string[] = [];
    assert.equal(await runCli(['audit', 'tail', '--limit', '10'], { ...cli, out: (line) => tail.push(line) }), 0);
    assert.ok(tail.some((line) => /caseworker\.first_time_password_sent .*by=saksbehandler\.anne/.test(line)), tail.join('\n'));
    assert.ok(tail.some((line) => /first_time_password\.accepted .*client=.* ip=.* ua="/.test(line)), 'web events show client, IP and user agent');

    // An unknown member: a clear error for the caseworker, nothing sent, and it is audited too.
    err.length = 0;
    assert.equal(await runCli(['members', 'send-first-time-password', '99999996', '--sms', '--by', 'saksbehandler.anne'], cli), 65);
    assert.match(err.join('\n'), /no member with that number/);
    assert.deepEqual(await h.deliver(), []);
    const [refused] = await latestAudit(idp.db, 1, { event: 'caseworker.first_time_password_sent' });
    assert.deepEqual(refused!.detail, { channel: 'sms', sent: false, reason: 'unknown_member' });
    // Who did it is required.
    assert.equal(await runCli(['members', 'send-first-time-password', member.memberNumber!, '--sms'], cli), 65);
  });

  test('caseworker: the SMS is in the language the register has for the member', async () => {
    const member = await createMember(idp, { language: 'en' });
    const cli = { db: idp.db, settings: idp.settings, out: () => {}, err: () => {} };
    assert.equal(await runCli(['members', 'send-first-time-password', member.memberNumber!, '--sms', '--by', 'saksbehandler.anne'], cli), 0);
    const sent = await h.deliver();
    assert.equal(sent.length, 1);
    assert.match(sent[0]!.text, /Your first-time password from HK/);
  });
});

describe('ordering answers before anything is sent', () => {
  let idp: TestIdp;
  let h: ReturnType<typeof helpers>;
  const calls: MessageRequest[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  // A connector that does not finish until the test says so: a request that waited for it would hang.
  const connector: Connector = {
    async send(message) {
      calls.push(message);
      await gate;
    },
  };

  before(async () => {
    idp = await startIdp({}, { connector, outboxIntervalMs: 0 });
    h = helpers(idp, await registerRp(idp));
  });
  after(async () => {
    release();
    await idp.close();
  });

  test('the order is answered before anything is matched or sent; the worker does both afterwards', async () => {
    const member = await createMember(idp);
    const { answer, shown } = await h.signInPage().then(async ({ browser, page }) => {
      const form = await browser.go(h.linkOn(page, 'Jeg vil ha eller har glemt passord'));
      const answer = await browser.submit(form, { member_number: member.memberNumber!, channel: 'sms', mobile: member.mobile! }, { stopAt: idp.issuer });
      return { answer, shown: await browser.go(answer.location!) };
    });
    assert.equal(answer.status, 303);
    assert.equal(shown.status, 200);
    // Only the order is recorded; nothing is issued, wiped or queued inside the request.
    assert.equal((await idp.db('orders').where({ member_number: member.memberNumber })).length, 1);
    assert.equal((await idp.db('first_time_passwords').where({ account_id: member.id })).length, 0);
    assert.equal((await idp.db('outbox').where({ account_id: member.id })).length, 0);
    const delivering = idp.outbox.deliverDue();
    release();
    await delivering;
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.to, member.mobile);
    assert.equal((await idp.db('outbox').where({ account_id: member.id }).first())!.status, 'sent');
    assert.equal((await idp.db('orders')).length, 0, 'the order is done');
  });
});

describe('first-time password lifetime', () => {
  let idp: TestIdp;
  let rp: Rp;
  let h: ReturnType<typeof helpers>;
  let clock = Date.now();

  before(async () => {
    idp = await startIdp({ FIRST_TIME_PASSWORD_TTL: '600' }, { now: () => clock });
    rp = await registerRp(idp);
    h = helpers(idp, rp);
  });
  after(() => idp.close());

  test('the message says how long it is valid; after that it is refused', async () => {
    const member = await createMember(idp);
    await h.order({ member_number: member.memberNumber!, channel: 'sms', contact: member.mobile! });
    const sent = await h.deliver();
    assert.match(sent[0]!.text, /Det er gyldig i 10 minutter/);
    clock += 601_000;
    const { result } = await h.firstLogin(member.memberNumber!, h.passwordIn(sent[0]!.text));
    assert.equal(result.status, 400);
    assert.match(textOf(result.html), /Feil medlemsnummer eller førstegangspassord, eller passordet er utløpt\./);
  });

  test('a first-time password that expires during the choose-credentials step saves nothing', async () => {
    const member = await createMember(idp);
    const { browser, result } = await h.firstLogin(member.memberNumber!, await h.firstTimePasswordFor(member));
    assert.match(textOf(result.html), /Velg brukernavn og passord/);
    clock += 601_000;
    const page = await browser.submit(result, { username: 'for.sent', password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, { stopAt: CALLBACK });
    assert.equal(page.status, 400);
    assert.match(textOf(page.html), /Førstegangspassordet er ikke lenger gyldig/);
    assert.equal((await findAccountById(idp.db, member.id))!.passwordHash, null);
  });
});

describe('flow states: each step reads its own; an expired state or another flow\'s gets one page and changes nothing', () => {
  let idp: TestIdp;
  let rp: Rp;
  let h: ReturnType<typeof helpers>;
  let clock = Date.now();
  const gone = /Dette steget er ikke lenger gyldig.*Start på nytt/;

  before(async () => {
    idp = await startIdp({}, { now: () => clock });
    rp = await registerRp(idp);
    h = helpers(idp, rp);
  });
  after(() => idp.close());

  test('choosing credentials past the state\'s expiry saves nothing; the page offers to start again', async () => {
    const member = await createMember(idp);
    const { browser, result } = await h.firstLogin(member.memberNumber!, await h.firstTimePasswordFor(member));
    const uid = uidOf(result.url);
    const state = await savedFlow(idp, uid);
    assert.deepEqual([state.flow, state.step], ['set-credentials', 'choose']);
    // The state expires with the interaction; the interaction's row lives on a little (the provider's tolerance).
    clock = state.expiresAt;
    const page = await browser.submit(result, { username: 'for.sein', password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, { stopAt: CALLBACK });
    assert.equal(page.status, 400);
    assert.match(textOf(page.html), gone);
    assert.match(page.html, new RegExp(`href="/interaction/${uid}"`));
    assert.equal((await browser.go(result.url)).status, 400, 'the form is not shown either');
    const stored = await findAccountById(idp.db, member.id);
    assert.equal(stored!.passwordHash, null);
    assert.equal(stored!.username, null);
    assert.equal((await idp.db('first_time_passwords').where({ account_id: member.id })).length, 1, 'the first-time password is not used up');
    assert.deepEqual(await latestAudit(idp.db, 1, { event: 'sign_in.succeeded', accountId: member.id }), []);
  });

  test('"send again" past the state\'s expiry sends nothing', async () => {
    const member = await createMember(idp);
    const { browser, shown } = await h.order({ member_number: member.memberNumber!, channel: 'sms', contact: member.mobile! });
    assert.equal((await h.deliver()).length, 1);
    const state = await savedFlow(idp, uidOf(shown.url));
    assert.deepEqual([state.flow, state.step], ['first-time-password', 'ordered']);
    clock = state.expiresAt; // long past the wait for sending again, too
    const orders = (await idp.db('audit_log').where({ event: 'first_time_password.ordered' })).length;
    const again = await browser.submit(shown, {}, { action: /resend$/ });
    assert.equal(again.status, 400);
    assert.match(textOf(again.html), gone);
    assert.equal((await browser.go(shown.url)).status, 400, 'nor is the "sent" page shown with it');
    assert.equal((await idp.db('orders')).length, 0, 'no order recorded');
    assert.deepEqual(await h.deliver(), []);
    assert.equal((await idp.db('audit_log').where({ event: 'first_time_password.ordered' })).length, orders);
  });

  // On SQLite these requests hardly interleave (statements run at once, without yielding); the race
  // shows on PostgreSQL, the suite's second pass: without the claim in sendAfterWait, 8 messages there.
  test('a double click (8 posts at once) orders once: the first order, and "send again" once the wait is over', async () => {
    const member = await createMember(idp);
    await h.deliver();
    const ordered = async () => (await idp.db('audit_log').where({ event: 'first_time_password.ordered', account_id: member.id })).length;
    const { browser, page } = await h.signInPage();
    const form = await browser.go(h.linkOn(page, 'Jeg vil ha eller har glemt passord'));
    const fields = orderForm({ member_number: member.memberNumber!, channel: 'sms', contact: member.mobile! });
    const posts = await Promise.all(Array.from({ length: 8 }, () => browser.submit(form, fields, { action: /first-time-password$/, stopAt: idp.issuer })));
    assert.ok(posts.every((answer) => answer.status === 303), 'every click gets the same answer');
    assert.equal((await h.deliver()).length, 1, 'one message');
    assert.equal(await ordered(), 1, 'one order of 8 posts');
    const shown = await browser.go(posts[0]!.location!);
    clock += idp.settings.resendWait * 1000;
    const again = await Promise.all(Array.from({ length: 8 }, () => browser.submit(shown, {}, { action: /resend$/, stopAt: idp.issuer })));
    // The one that sent goes on to the "sent" page; any that lost the claim gets the wait, as a second click later would.
    assert.equal(again.filter((answer) => answer.status === 303).length + again.filter((answer) => answer.status === 429).length, 8);
    assert.ok(again.some((answer) => answer.status === 303));
    assert.equal((await h.deliver()).length, 1, 'one more message');
    assert.equal(await ordered(), 2, 'one more order of 8 posts of "send again"');
  });

  test('"send again" once the sign-in has moved on to choosing credentials sends nothing, and the choosing goes on', async () => {
    const member = await createMember(idp);
    const { browser, shown } = await h.order({ member_number: member.memberNumber!, channel: 'sms', contact: member.mobile! });
    const password = h.passwordIn((await h.deliver())[0]!.text);
    const first = await browser.submit(await browser.go(h.linkOn(shown, 'Jeg har fått nytt passord/PIN')), { member_number: member.memberNumber!, password });
    assert.match(textOf(first.html), /Velg brukernavn og passord/);
    clock += idp.settings.resendWait * 1000;
    const again = await browser.submit(shown, {}, { action: /resend$/ });
    assert.equal(again.status, 400);
    assert.match(textOf(again.html), gone);
    assert.deepEqual(await h.deliver(), []);
    assert.deepEqual([(await savedFlow(idp, uidOf(shown.url))).step], ['choose'], 'the state is as it was');
    const done = await browser.submit(first, { username: 'videre.vegard', password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, { stopAt: CALLBACK });
    assert.ok(done.location?.startsWith(CALLBACK));
  });

  test('the choose step not reached yet (only ordered) or lapsed sends to first login, as with no state; ordering again remembers the member number', async () => {
    const member = await createMember(idp);
    const { browser, shown } = await h.order({ member_number: member.memberNumber!, channel: 'sms', contact: member.mobile! });
    const password = h.passwordIn((await h.deliver())[0]!.text);
    const credentialsUrl = new URL(`/interaction/${uidOf(shown.url)}/credentials`, shown.url);
    const early = await browser.request(credentialsUrl);
    assert.equal(early.status, 303);
    assert.match(early.location ?? '', /\/first-login$/);

    const first = await browser.submit(await browser.go(h.linkOn(shown, 'Jeg har fått nytt passord/PIN')), { member_number: member.memberNumber!, password });
    await idp.db('first_time_passwords').where({ account_id: member.id }).update({ expires_at: 0 });
    const lapsed = await browser.submit(first, { username: 'for.sent.igjen', password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    assert.match(textOf(lapsed.html), /Førstegangspassordet er ikke lenger gyldig/);
    assert.deepEqual([(await savedFlow(idp, uidOf(shown.url))).step], ['lapsed']);
    const late = await browser.request(credentialsUrl);
    assert.equal(late.status, 303);
    assert.match(late.location ?? '', /\/first-login$/);
    const orderAgain = await browser.go(h.linkOn(lapsed, 'Bestill nytt førstegangspassord'));
    assert.match(orderAgain.html, new RegExp(`name="member_number"[^>]*value="${member.memberNumber}"|value="${member.memberNumber}"[^>]*name="member_number"`));
  });

  test('choosing credentials with another flow\'s state (a staff sign-in\'s) saves nothing', async () => {
    const member = await createMember(idp);
    const { browser, result } = await h.firstLogin(member.memberNumber!, await h.firstTimePasswordFor(member));
    const uid = uidOf(result.url);
    const { expiresAt } = await savedFlow(idp, uid);
    // No request of a member sign-in saves this; only a state put there by hand can be another flow's.
    await replaceFlow(idp, uid, { flow: 'console-sign-in', step: 'second-factor', expiresAt, staffId: member.id });
    const page = await browser.submit(result, { username: 'annen.flyt', password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, { stopAt: CALLBACK });
    assert.equal(page.status, 400);
    assert.match(textOf(page.html), gone);
    const stored = await findAccountById(idp.db, member.id);
    assert.equal(stored!.passwordHash, null);
    assert.equal(stored!.username, null);
    assert.equal((await idp.db('first_time_passwords').where({ account_id: member.id })).length, 1);
  });
});

describe('first-time passwords with WIPE_CREDENTIALS=on-use', () => {
  let idp: TestIdp;
  let rp: Rp;
  let h: ReturnType<typeof helpers>;

  before(async () => {
    idp = await startIdp({ WIPE_CREDENTIALS: 'on-use' });
    rp = await registerRp(idp);
    h = helpers(idp, rp);
  });
  after(() => idp.close());

  test('ordering changes nothing until the first-time password is used; using it wipes the old', async () => {
    const member = await createMember(idp, { password: OLD_PASSWORD, username: 'Uno.Use' });
    const { browser, result, verifier, state } = await h.passwordSignIn(member.memberNumber!, OLD_PASSWORD);
    const tokens = await rp.finish(result.location!, verifier, state);

    const order = await h.order({ member_number: member.memberNumber!, channel: 'sms', contact: member.mobile! });
    assert.match(textOf(order.form.html), /Det gamle passordet ditt virker helt til du tar i bruk førstegangspassordet/);
    const password = h.passwordIn((await h.deliver())[0]!.text);
    // Nothing wiped yet: the session, the refresh token and the old password all still work.
    assert.ok((await rp.start(browser, { prompt: 'none' })).page.location?.startsWith(CALLBACK));
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    assert.ok((await h.passwordSignIn('uno.use', OLD_PASSWORD)).result.location?.startsWith(CALLBACK));

    // The first use wipes: old password, username, sessions and tokens.
    const first = await h.firstLogin(member.memberNumber!, password);
    assert.match(textOf(first.result.html), /Velg brukernavn og passord/);
    assert.match((await rp.start(browser, { prompt: 'none' })).page.location ?? '', /error=login_required/);
    await assert.rejects(oidc.refreshTokenGrant(rp.config, refreshed.refresh_token!), (error: Error & { error?: string }) => error.error === 'invalid_grant');
    assert.equal((await h.passwordSignIn(member.memberNumber!, OLD_PASSWORD)).result.status, 400);
    const [wiped] = await latestAudit(idp.db, 1, { event: 'credentials.wiped', accountId: member.id });
    assert.deepEqual(wiped!.detail, { moment: 'on-use' });

    const done = await first.browser.submit(first.result, { username: 'uno.ny', password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, { stopAt: CALLBACK });
    assert.equal((await rp.finish(done.location!, first.verifier, first.state)).claims()!.sub, member.id);
  });
});

describe('the way back in: no lock-out by member number, and a first-time password in the sign-in form', () => {
  let idp: TestIdp;
  let rp: Rp;
  let h: ReturnType<typeof helpers>;
  // Another address than the member's (the test server trusts one proxy hop).
  const elsewhere = { 'x-forwarded-for': '203.0.113.9' };

  before(async () => {
    // The worker runs only when called, so the statements counted below are the request's own.
    idp = await startIdp({ TRUST_PROXY_HOPS: '1' }, { outboxIntervalMs: 0 });
    rp = await registerRp(idp);
    h = helpers(idp, rp);
  });
  after(() => idp.close());

  test('10 wrong passwords and 10 wrong first-time passwords from another address do not keep out the holder of a new first-time password', async () => {
    const member = await createMember(idp, { password: OLD_PASSWORD });
    for (let i = 0; i < 10; i++) {
      const { browser, page } = await h.signInPage(rp, elsewhere);
      assert.equal((await browser.submit(page, { identifier: member.memberNumber!, password: `feil-passord-nummer-${i}` })).status, 400);
    }
    for (let i = 0; i < 10; i++) {
      const { browser, page } = await h.signInPage(rp, elsewhere);
      const form = await browser.go(h.linkOn(page, 'Jeg har fått nytt passord/PIN'));
      assert.equal((await browser.submit(form, { member_number: member.memberNumber!, password: generateFirstTimePassword() })).status, 400);
    }
    // The member's own password is throttled now (per account, as it should be)…
    assert.equal((await h.passwordSignIn(member.memberNumber!, OLD_PASSWORD)).result.status, 400);
    const [throttled] = await latestAudit(idp.db, 1, { accountId: member.id });
    assert.equal(throttled!.event, 'sign_in.throttled');

    // …but the newest first-time password works, through "Jeg har fått nytt passord/PIN"…
    const password = await h.firstTimePasswordFor(member);
    const first = await h.firstLogin(member.memberNumber!, password);
    assert.match(textOf(first.result.html), /Velg brukernavn og passord/);
    // …and through the ordinary sign-in form, all the way to the app.
    const viaForm = await h.passwordSignIn(member.memberNumber!, password);
    assert.match(textOf(viaForm.result.html), /Velg brukernavn og passord/);
    const done = await viaForm.browser.submit(viaForm.result, { username: 'tilbake.igjen', password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, { stopAt: CALLBACK });
    assert.equal((await rp.finish(done.location!, viaForm.verifier, viaForm.state)).claims()!.sub, member.id);
  });

  test('a first-time password typed into the ordinary sign-in form leads to choosing username and password', async () => {
    const member = await createMember(idp, { password: OLD_PASSWORD, username: 'Siri.Skjema' });
    const password = await h.firstTimePasswordFor(member);
    // As members type it from the SMS: with the spaces.
    const { browser, result, verifier, state } = await h.passwordSignIn(member.memberNumber!, password);
    assert.equal(result.status, 200);
    assert.match(result.url, /\/credentials$/);
    assert.match(textOf(result.html), /Velg brukernavn og passord/);
    const [accepted] = await latestAudit(idp.db, 1, { accountId: member.id });
    assert.equal(accepted!.event, 'first_time_password.accepted');
    const done = await browser.submit(result, { username: 'siri.skjema', password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, { stopAt: CALLBACK });
    assert.equal((await rp.finish(done.location!, verifier, state)).claims()!.sub, member.id);
    // Used up: typed again it is just a wrong password.
    assert.equal((await h.passwordSignIn(member.memberNumber!, password)).result.status, 400);
  });

  test('a wrong first-time password in the sign-in form: the same page, work and audit as any wrong password, throttled like first login', async () => {
    const withLive = await createMember(idp, { password: OLD_PASSWORD });
    await h.firstTimePasswordFor(withLive);
    const without = await createMember(idp, { password: OLD_PASSWORD });
    const guess = generateFirstTimePassword();
    const cases = {
      liveFirstTimePassword: withLive.memberNumber!,
      noFirstTimePassword: without.memberNumber!,
      unknownMember: '99999995',
    };
    const pages: Record<string, Page> = {};
    const statements: Record<string, string[]> = {};
    for (const [name, identifier] of Object.entries(cases)) {
      const { browser, page } = await h.signInPage();
      statements[name] = await statementsOf(idp.db, async () => (pages[name] = await browser.submit(page, { identifier, password: guess })));
    }
    const normalise = (html: string) => html.replace(/\/interaction\/[\w-]+/g, '').replace(/name="csrf" value="[^"]+"/g, '').replace(/value="\d+"/, '');
    const plain = await h.passwordSignIn(withLive.memberNumber!, 'helt-feil-passord');
    for (const [name, page] of Object.entries(pages)) {
      assert.equal(page.status, 400, name);
      assert.equal(normalise(page.html), normalise(plain.result.html), name);
      // No branch is cheaper: whether the member exists or has a first-time password, the same statements.
      assert.deepEqual(statements[name], statements.liveFirstTimePassword, name);
    }
    // One failure in the audit per attempt, as for any wrong password.
    const failures = await latestAudit(idp.db, 10, { accountId: withLive.id, event: 'sign_in.failed' });
    assert.deepEqual(failures.map((row) => row.detail), [{ kind: 'member' }, { kind: 'member' }]);
    // Counted on the same throttle as a guess in "Jeg har fått nytt passord/PIN": the typed first-time password's.
    const key = typedKey({ pepper: idp.settings.passwordPepper }, 'ftp', guess);
    assert.equal(await idp.counters.failures(key), 3);
  });

  test('a first-time password in the sign-in form is one attempt: a right one counts no failure anywhere, a wrong one one on the IP', async () => {
    const member = await createMember(idp, { password: OLD_PASSWORD });
    const password = await h.firstTimePasswordFor(member);
    const ipFailures = (ip: string) => idp.counters.peek(`signin-ip:${limitKey(ip)}`, 3600_000, Date.now());
    const accountKey = `signin:${member.id}`;

    // The right one, from an address of its own: on to choosing credentials, nothing counted.
    const rightFrom = '203.0.113.21';
    const { browser, page } = await h.signInPage(rp, { 'x-forwarded-for': rightFrom });
    const right = await browser.submit(page, { identifier: member.memberNumber!, password });
    assert.match(textOf(right.html), /Velg brukernavn og passord/);
    assert.equal(await ipFailures(rightFrom), 0, 'no IP failure for a right first-time password');
    assert.equal(await idp.counters.failures(accountKey), 0, 'no account failure for a right first-time password');

    // A wrong one: one IP failure, one on the account's password, one on the typed first-time password.
    const wrongFrom = '203.0.113.22';
    const guess = generateFirstTimePassword();
    const second = await h.signInPage(rp, { 'x-forwarded-for': wrongFrom });
    assert.equal((await second.browser.submit(second.page, { identifier: member.memberNumber!, password: guess })).status, 400);
    assert.equal(await ipFailures(wrongFrom), 1, 'one typed secret is one IP failure');
    assert.equal(await idp.counters.failures(accountKey), 1);
    assert.equal(await idp.counters.failures(typedKey({ pepper: idp.settings.passwordPepper }, 'ftp', guess)), 1);
  });
});
