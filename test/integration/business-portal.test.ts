// The business portal (openid-client, a client registered with login "business") signs business users
// in through the real server: activation and password reset by one-time code, invitations, sign-in.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { findAccountById } from '../../src/accounts/accounts.ts';
import { disableBusinessUser } from '../../src/accounts/business-users.ts';
import { latestAudit } from '../../src/audit/audit.ts';
import { runCli } from '../../src/cli/run.ts';
import { createBusinessUser, createMember } from '../support/accounts.ts';
import { Browser, decode, textOf, type Page } from '../support/browser.ts';
import { editFlow, uidOf } from '../support/flow-state.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { CALLBACK, registerRp, type Rp } from '../support/rp.ts';

const PASSWORD = 'fjelltur-i-jotunheimen';
const NEW_PASSWORD = 'sommerferie-paa-sorlandet';
const BUSINESS_SCOPE = 'openid profile email phone business';
const SENT_MESSAGE = {
  email: 'Dersom e-postadressen din er registrert hos oss, får du en engangskode om kort tid. Får du ingen kode, er e-postadressen ikke registrert hos oss. Kontakt i så fall Handel og Kontor for å få den registrert.',
  sms: 'Dersom mobilnummeret ditt er registrert hos oss, får du en engangskode på SMS om kort tid. Får du ingen kode, er mobilnummeret ikke registrert hos oss. Kontakt i så fall Handel og Kontor for å få det registrert.',
};

/** The address of the first link on `page` whose text matches. */
function linkOn(page: Page, text: RegExp): URL {
  const link = [...page.html.matchAll(/<a[^>]*href="([^"]+)"[^>]*>([^<]*)<\/a>/g)].find((m) => text.test(decode(m[2]!)));
  assert.ok(link, `no link ${text} on the page:\n${page.html}`);
  return new URL(decode(link[1]!), page.url);
}

/** The form on `page` whose action matches, as the browser would post it: its URL and hidden fields. */
function formOn(page: Page, action: RegExp): { url: URL; hidden: Record<string, string> } {
  const form = [...page.html.matchAll(/<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].find((f) => action.test(f[1]!));
  assert.ok(form, `no form ${action} on the page`);
  const hidden = Object.fromEntries([...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, decode(m[2]!)]));
  return { url: new URL(decode(form[1]!), page.url), hidden };
}

const codeIn = (text: string) => {
  const code = text.match(/\b(\d{6})\b/)?.[1];
  assert.ok(code, `no code in: ${text}`);
  return code;
};

describe('business portal with openid-client', () => {
  let idp: TestIdp;
  let portal: Rp;
  let memberApp: Rp;
  // The server's clock runs `offset` ms ahead of the real one (codes and links expire by it).
  let offset = 0;

  before(async () => {
    idp = await startIdp({}, { now: () => Date.now() + offset });
    portal = await registerRp(idp, { name: 'Bedriftsportalen', login: 'business' });
    memberApp = await registerRp(idp, { name: 'Medlemsappen', login: 'member' });
  });
  afterEach(async () => {
    offset = 0;
    await idp.outbox.deliverDue();
    idp.devOutbox!.length = 0;
  });
  after(() => idp.close());

  /** Messages the outbox worker delivered since the last call, oldest first. */
  async function delivered() {
    await idp.outbox.deliverDue();
    return idp.devOutbox!.splice(0).reverse();
  }

  async function startPortal(browser = new Browser(), params: Record<string, string> = {}) {
    const flow = await portal.start(browser, { scope: BUSINESS_SCOPE, ...params });
    return { browser, ...flow };
  }

  /** From the sign-in page: "Klikk her for å aktivere…" (or "Glemt passord"), then send a code. Returns the code page. */
  async function askForCode(browser: Browser, login: Page, channel: 'email' | 'sms', address: string, purpose: 'activate' | 'reset' = 'activate') {
    const request = await browser.go(linkOn(login, purpose === 'activate' ? /Klikk her for å aktivere din brukerkonto|Click here to activate/ : /Glemt passord|Forgot password/));
    assert.equal(request.status, 200);
    return browser.submit(request, { [channel === 'email' ? 'email' : 'mobile']: address }, { action: new RegExp(`/${channel}$`) });
  }

  function setPassword(browser: Browser, page: Page, fields: { code?: string; password: string; confirm?: string }) {
    const form: Record<string, string> = { password: fields.password, confirm: fields.confirm ?? fields.password };
    if (fields.code !== undefined) form.code = fields.code;
    return browser.submit(page, form, { action: /\/business\/password$/, stopAt: CALLBACK });
  }

  async function signIn(email: string, password: string) {
    const { browser, page, verifier, state } = await startPortal();
    const result = await browser.submit(page, { email, password }, { stopAt: CALLBACK });
    return { browser, result, verifier, state };
  }

  test('the sign-in page has the words of HK’s help text and machine-readable fields', async () => {
    const { page } = await startPortal();
    assert.equal(page.status, 200);
    const text = textOf(page.html);
    for (const words of ['Innlogging', 'Når du logger deg på for første gang, må du aktivere brukerkontoen din.', 'Klikk her for å aktivere din brukerkonto', 'E-post', 'Passord', 'Logg inn', 'Glemt passord', 'Har du ikke en brukerkonto, ta kontakt med post@hk.no']) {
      assert.ok(text.includes(words), `missing "${words}"`);
    }
    assert.match(page.html, /<label for="email">E-post<\/label>/);
    assert.match(page.html, /id="email" name="email" type="email" autocomplete="username"/);
    assert.match(page.html, /id="password" name="password" type="password" autocomplete="current-password"/);
    assert.doesNotMatch(page.html, /Medlemsnummer/);

    const english = await startPortal(new Browser({ 'accept-language': 'en' }));
    assert.match(textOf(english.page.html), /If this is the first time you sign in, you must activate your user account\./);
  });

  test('activation by e-mail code, then sign-in with e-mail and password', async () => {
    const user = await createBusinessUser(idp, { email: 'Kari.Bedrift@Firma.example' });
    assert.equal(user.status, 'invited');
    const { browser, page: login, verifier, state } = await startPortal();
    const request = await browser.go(linkOn(login, /Klikk her for å aktivere din brukerkonto/));
    const requestText = textOf(request.html);
    for (const words of ['Aktiver brukerkonto', 'Vi må verifisere din identitet før du kan velge ditt passord. Dette skjer ved at vi sender deg en engangskode på e-post.', 'Send kode via e-post', 'Mobil', 'Send kode via SMS', 'Avbryt']) {
      assert.ok(requestText.includes(words), `missing "${words}"`);
    }
    assert.match(request.html, /name="email" type="email" autocomplete="email"/);
    assert.match(request.html, /name="mobile" type="tel" autocomplete="tel"/);

    const codePage = await browser.submit(request, { email: '  KARI.bedrift@firma.example ' }, { action: /\/email$/ });
    assert.equal(codePage.status, 200);
    const codeText = textOf(codePage.html);
    assert.ok(codeText.includes(SENT_MESSAGE.email));
    assert.ok(codeText.includes('post@hk.no'), 'the contact address from the settings');
    for (const words of ['Engangskode', 'Nytt passord', 'Bekreft nytt passord', 'Sett nytt passord', 'Avbryt']) assert.ok(codeText.includes(words), `missing "${words}"`);
    assert.match(codePage.html, /name="code" type="text" autocomplete="one-time-code" inputmode="numeric"/);
    assert.match(codePage.html, /name="password" type="password" autocomplete="new-password"/);
    assert.match(codePage.html, /name="confirm" type="password" autocomplete="new-password"/);

    const messages = await delivered();
    assert.equal(messages.length, 1);
    const [mail] = messages;
    assert.equal(mail!.channel, 'email');
    assert.equal(mail!.to, 'kari.bedrift@firma.example', 'sent to the stored address');
    assert.equal(mail!.kind, 'business_code_email');
    const code = codeIn(mail!.text);
    assert.ok(mail!.html.includes(code));

    const done = await setPassword(browser, codePage, { code, password: PASSWORD });
    assert.equal(done.status, 200);
    assert.match(textOf(done.html), /Brukerkontoen din er aktivert/);
    assert.match(textOf(done.html), /Fra nå av logger du inn med e-postadressen kari\.bedrift@firma\.example/);
    const result = await browser.submit(done, {}, { stopAt: CALLBACK });
    assert.ok(result.location?.startsWith(CALLBACK), 'the sign-in continues to the portal');
    const tokens = await portal.finish(result.location!, verifier, state);
    assert.equal(tokens.claims()!.sub, user.id);
    const userinfo = await oidc.fetchUserInfo(portal.config, tokens.access_token, user.id);
    assert.equal(userinfo.email, 'kari.bedrift@firma.example');
    assert.equal(userinfo.email_verified, true);
    assert.equal(userinfo.organization_number, '987654321');
    assert.equal(userinfo.organization_name, 'Firma AS');
    assert.equal(userinfo.preferred_username, 'kari.bedrift@firma.example');
    assert.equal(userinfo.member_number, undefined);

    const account = await findAccountById(idp.db, user.id);
    assert.equal(account!.status, 'active');
    // The code is stored only as a keyed hash; the delivered message no longer holds it either.
    const dump = JSON.stringify([await idp.db('one_time_codes'), await idp.db('outbox'), await idp.db('audit_log')]);
    assert.ok(!dump.includes(code), 'the code is nowhere in the database');
    assert.ok(!dump.includes(PASSWORD), 'the password is nowhere in the database');

    // Later, in another browser: e-mail (any case) + the new password.
    const again = await signIn('Kari.Bedrift@firma.example', PASSWORD);
    assert.ok(again.result.location?.startsWith(CALLBACK));
    assert.equal((await portal.finish(again.result.location!, again.verifier, again.state)).claims()!.sub, user.id);

    const events = (await latestAudit(idp.db, 20, { accountId: user.id })).map((row) => row.event).filter((event) => !event.startsWith('message.'));
    assert.deepEqual(events.reverse(), ['code.requested', 'code.verified', 'business.activated', 'sign_in.succeeded', 'sign_in.succeeded']);
  });

  test('activation by SMS code, the mobile typed in another notation', async () => {
    const user = await createBusinessUser(idp, { mobile: '41234599' });
    const { browser, page: login, verifier, state } = await startPortal();
    const codePage = await askForCode(browser, login, 'sms', '+47 412 34 599');
    assert.ok(textOf(codePage.html).includes(SENT_MESSAGE.sms));
    const [sms, ...rest] = await delivered();
    assert.equal(rest.length, 0);
    assert.equal(sms!.channel, 'sms');
    assert.equal(sms!.to, '+4741234599');
    assert.equal(sms!.kind, 'business_code_sms');
    assert.ok(sms!.text.length <= 160, 'one SMS');

    const done = await setPassword(browser, codePage, { code: codeIn(sms!.text), password: PASSWORD });
    assert.match(textOf(done.html), new RegExp(`e-postadressen ${user.email!.replace(/\./g, '\\.')}`), 'the login name is the e-mail, even after an SMS');
    const result = await browser.submit(done, {}, { stopAt: CALLBACK });
    const tokens = await portal.finish(result.location!, verifier, state);
    const userinfo = await oidc.fetchUserInfo(portal.config, tokens.access_token, user.id);
    assert.equal(userinfo.phone_number, '+4741234599');
    assert.equal(userinfo.phone_number_verified, true);

    const again = await signIn(user.email!, PASSWORD);
    assert.ok(again.result.location?.startsWith(CALLBACK));
  });

  test('a code entered wrong 5 times is dead, even for the right code; a new code in this flow is too, one in a new sign-in works', async () => {
    const user = await createBusinessUser(idp);
    const { browser, page: login } = await startPortal();
    let page = await askForCode(browser, login, 'email', user.email!);
    const code = codeIn((await delivered())[0]!.text);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let left = 4; left >= 1; left--) {
      page = await setPassword(browser, page, { code: wrong, password: PASSWORD });
      assert.equal(page.status, 400);
      assert.match(textOf(page.html), new RegExp(`Feil engangskode\\. Du kan prøve ${left} ${left === 1 ? 'gang' : 'ganger'} til\\.`));
    }
    page = await setPassword(browser, page, { code: wrong, password: PASSWORD });
    assert.match(textOf(page.html), /Engangskoden er tastet feil for mange ganger\. .*start innloggingen på nytt/);
    page = await setPassword(browser, page, { code, password: PASSWORD });
    assert.equal(page.status, 400);
    assert.match(textOf(page.html), /Engangskoden er tastet feil for mange ganger/, 'the right code after 5 wrong ones is refused');
    assert.equal((await findAccountById(idp.db, user.id))!.status, 'invited');
    const failed = await latestAudit(idp.db, 20, { accountId: user.id, event: 'code.failed' });
    assert.deepEqual(failed.map((row) => row.detail.reason).reverse(), ['wrong', 'wrong', 'wrong', 'wrong', 'attempts', 'attempts']);

    // "Send en ny kode", once the wait is over: the count is per flow and account, so a new code could
    // never work in this sign-in, and none is sent (the operator sees why).
    offset = idp.settings.resendWait * 1000;
    const codePage = await browser.submit(page, {}, { action: /\/business\/resend$/ });
    assert.deepEqual(await delivered(), [], 'a new code gives no new tries, so none is sent');
    const [requested] = await latestAudit(idp.db, 1, { accountId: user.id, event: 'code.requested' });
    assert.deepEqual(requested!.detail, { purpose: 'business_activation', channel: 'email', sent: false, reason: 'attempts_spent' });
    const again = await setPassword(browser, codePage, { code, password: PASSWORD });
    assert.match(textOf(again.html), /Engangskoden er tastet feil for mange ganger/);
    // A new sign-in starts a new flow, whose code works.
    const fresh = await startPortal();
    const freshPage = await askForCode(fresh.browser, fresh.page, 'email', user.email!);
    const done = await setPassword(fresh.browser, freshPage, { code: codeIn((await delivered())[0]!.text), password: PASSWORD });
    assert.match(textOf(done.html), /Brukerkontoen din er aktivert/);
  });

  test('wrong entries count per flow and account, not per code: 4 wrong and a new code leave one try (NIST 800-63B)', async () => {
    const user = await createBusinessUser(idp);
    const { browser, page: login } = await startPortal();
    let page = await askForCode(browser, login, 'email', user.email!);
    const first = codeIn((await delivered())[0]!.text);
    for (let left = 4; left >= 1; left--) {
      page = await setPassword(browser, page, { code: first === '000000' ? '111111' : '000000', password: PASSWORD });
      assert.match(textOf(page.html), new RegExp(`Du kan prøve ${left} ${left === 1 ? 'gang' : 'ganger'} til`));
    }
    offset = idp.settings.resendWait * 1000;
    page = await browser.submit(page, {}, { action: /\/business\/resend$/ });
    const second = codeIn((await delivered())[0]!.text);
    page = await setPassword(browser, page, { code: second === '000000' ? '111111' : '000000', password: PASSWORD });
    assert.equal(page.status, 400);
    assert.match(textOf(page.html), /Engangskoden er tastet feil for mange ganger/, 'the 5th wrong entry in this flow ends it, new code or not');
    page = await setPassword(browser, page, { code: second, password: PASSWORD });
    assert.match(textOf(page.html), /Engangskoden er tastet feil for mange ganger/, 'and the right new code is refused after it');
    assert.equal((await findAccountById(idp.db, user.id))!.status, 'invited');
  });

  test('a registered and an unknown address answer alike after a new code and after 5 wrong entries in the flow', async () => {
    const user = await createBusinessUser(idp);
    // What the person sees on each code entry, the same for both if nothing tells them apart.
    async function answers(address: string) {
      const seen: string[] = [];
      const { browser, page: login } = await startPortal();
      let page = await askForCode(browser, login, 'email', address);
      const first = (await delivered())[0];
      const wrong = first && codeIn(first.text) === '000000' ? '111111' : '000000';
      for (let i = 0; i < 3; i++) {
        page = await setPassword(browser, page, { code: wrong, password: PASSWORD });
        seen.push(`${page.status} ${textOf(page.html).match(/Feil engangskode[^.]*\.[^.]*\.|Engangskoden[^.]*\./)?.[0]}`);
      }
      offset = idp.settings.resendWait * 1000;
      page = await browser.submit(page, {}, { action: /\/business\/resend$/ });
      const second = (await delivered())[0];
      const wrongAgain = second && codeIn(second.text) === '000000' ? '111111' : '000000';
      for (let i = 0; i < 2; i++) {
        page = await setPassword(browser, page, { code: wrongAgain, password: PASSWORD });
        seen.push(`${page.status} ${textOf(page.html).match(/Feil engangskode[^.]*\.[^.]*\.|Engangskoden[^.]*\./)?.[0]}`);
      }
      // After 5 wrong entries a new code gives no new tries, for anyone.
      offset = 2 * idp.settings.resendWait * 1000;
      page = await browser.submit(page, {}, { action: /\/business\/resend$/ });
      assert.deepEqual(await delivered(), [], 'no code is sent once the flow has spent its tries');
      page = await setPassword(browser, page, { code: wrongAgain, password: PASSWORD });
      seen.push(`${page.status} ${textOf(page.html).match(/Engangskoden[^.]*\./)?.[0]}`);
      offset = 0;
      return seen;
    }
    const known = await answers(user.email!);
    const unknown = await answers('finnes.ikke.her@firma.example');
    assert.deepEqual(known, [
      '400 Feil engangskode. Du kan prøve 4 ganger til.',
      '400 Feil engangskode. Du kan prøve 3 ganger til.',
      '400 Feil engangskode. Du kan prøve 2 ganger til.',
      '400 Feil engangskode. Du kan prøve 1 gang til.',
      '400 Engangskoden er tastet feil for mange ganger.',
      '400 Engangskoden er tastet feil for mange ganger.',
    ]);
    assert.deepEqual(unknown, known, 'an unknown address counts its wrong entries exactly like a registered one');
  });

  test('an expired code is refused', async () => {
    const user = await createBusinessUser(idp);
    const { browser, page: login } = await startPortal();
    const page = await askForCode(browser, login, 'email', user.email!);
    const code = codeIn((await delivered())[0]!.text);
    offset = (idp.settings.oneTimeCodeTtl + 1) * 1000;
    const refused = await setPassword(browser, page, { code, password: PASSWORD });
    assert.equal(refused.status, 400);
    assert.match(textOf(refused.html), /Engangskoden kan ikke brukes/);
    assert.equal((await findAccountById(idp.db, user.id))!.passwordHash, null);
    const [failed] = await latestAudit(idp.db, 1, { accountId: user.id, event: 'code.failed' });
    assert.equal(failed!.detail.reason, 'expired');
  });

  /** Rewrites the flow state saved in the interaction `page` belongs to. */
  const editFlowState = (page: Page, edit: (flow: Record<string, unknown>) => unknown) => editFlow(idp, uidOf(page.url), edit);

  const GONE = /Dette steget er ikke lenger gyldig Det tok for lang tid, eller steget ble åpnet fra en gammel side\. Start på nytt herfra/;

  test('an expired flow gets the one "no longer valid" page and changes nothing; starting again works', async () => {
    const user = await createBusinessUser(idp);
    const { browser, page: login, verifier, state } = await startPortal();
    const page = await askForCode(browser, login, 'email', user.email!);
    const code = codeIn((await delivered())[0]!.text);
    await editFlowState(page, (flow) => ({ ...flow, expiresAt: Date.now() - 1 }));

    for (const answer of [
      await browser.go(page.url),
      await setPassword(browser, page, { code, password: PASSWORD }),
      await browser.submit(page, {}, { action: /\/business\/resend$/ }),
    ]) {
      assert.equal(answer.status, 400);
      assert.match(textOf(answer.html), GONE);
    }
    const account = await findAccountById(idp.db, user.id);
    assert.equal(account!.status, 'invited');
    assert.equal(account!.passwordHash, null);
    assert.equal((await latestAudit(idp.db, 5, { accountId: user.id })).filter((row) => row.event !== 'code.requested' && !row.event.startsWith('message.')).length, 0, 'no code checked');
    assert.equal((await delivered()).length, 0, 'no new code');

    // "Start på nytt": the sign-in's page, and the flow from its start.
    const restart = await browser.go(linkOn(await browser.go(page.url), /Start på nytt/));
    assert.equal(restart.status, 200);
    const again = await askForCode(browser, restart, 'email', user.email!);
    const done = await setPassword(browser, again, { code: codeIn((await delivered())[0]!.text), password: PASSWORD });
    const result = await browser.submit(done, {}, { stopAt: CALLBACK });
    assert.equal((await portal.finish(result.location!, verifier, state)).claims()!.sub, user.id);
  });

  test('a flow state that cannot be read (an older version’s, a corrupt one) gets the same page at every step; the first page starts anew', async () => {
    const user = await createBusinessUser(idp, { mobile: '41234511' });
    const unusable: [string, (flow: Record<string, unknown>) => unknown][] = [
      ['the shape before typed states', (flow) => ({ business: { purpose: flow.purpose, channel: flow.channel, address: flow.address, sentAt: flow.sentAt, sends: 1 } })],
      ['a step without its fields', (flow) => ({ ...flow, step: 'verified' })],
      ['an unknown step', (flow) => ({ ...flow, step: 'chosen' })],
      ['a field of the wrong kind', (flow) => ({ ...flow, channel: 'fax' })],
      ['not an object', () => 'code-sent'],
    ];
    for (const [what, edit] of unusable) {
      const { browser, page: login } = await startPortal();
      const page = await askForCode(browser, login, 'email', user.email!);
      const code = codeIn((await delivered())[0]!.text);
      await editFlowState(page, edit);
      for (const answer of [await browser.go(page.url), await setPassword(browser, page, { code, password: PASSWORD }), await browser.submit(page, {}, { action: /\/business\/resend$/ })]) {
        assert.equal(answer.status, 400, what);
        assert.match(textOf(answer.html), GONE, what);
      }
      assert.equal((await findAccountById(idp.db, user.id))!.passwordHash, null, what);
      assert.equal((await delivered()).length, 0, what);
      const uid = uidOf(page.url);
      assert.equal((await browser.go(`${idp.issuer}/interaction/${uid}/business/done`)).status, 400, what);
      const first = await browser.go(`${idp.issuer}/interaction/${uid}/business/activate`);
      assert.equal(first.status, 200, what);
      assert.doesNotMatch(first.html, /value="[^"]*@/, `${what}: nothing filled in`);
    }

    // At the last step: nothing signs in.
    const { browser, page: login } = await startPortal();
    const page = await askForCode(browser, login, 'sms', '41234511');
    const done = await setPassword(browser, page, { code: codeIn((await delivered())[0]!.text), password: PASSWORD });
    assert.match(textOf(done.html), /Brukerkontoen din er aktivert/);
    await editFlowState(done, (flow) => ({ ...flow, activated: 'yes' }));
    const refused = await browser.submit(done, {}, { stopAt: CALLBACK });
    assert.equal(refused.status, 400);
    assert.match(textOf(refused.html), GONE);
    assert.equal((await latestAudit(idp.db, 1, { accountId: user.id, event: 'sign_in.succeeded' })).length, 0, 'not signed in');
  });

  test('a code works only in the flow that asked for it, and only for its account', async () => {
    const x = await createBusinessUser(idp);
    const y = await createBusinessUser(idp);
    const a = await startPortal();
    const aPage = await askForCode(a.browser, a.page, 'email', x.email!);
    const codeX = codeIn((await delivered())[0]!.text);
    // Another flow for another account.
    const b = await startPortal();
    const bPage = await askForCode(b.browser, b.page, 'email', y.email!);
    const codeY = codeIn((await delivered())[0]!.text);
    // Another flow that asked for an address no one has.
    const c = await startPortal();
    const cPage = await askForCode(c.browser, c.page, 'email', 'ingen.her@firma.example');
    assert.equal((await delivered()).length, 0);

    for (const [browser, page] of [[b.browser, bPage], [c.browser, cPage]] as const) {
      const refused = await setPassword(browser, page, { code: codeX, password: PASSWORD });
      assert.equal(refused.status, 400);
      assert.match(textOf(refused.html), /Feil engangskode/);
    }
    assert.equal((await findAccountById(idp.db, x.id))!.passwordHash, null, 'x untouched');

    // In their own flows the codes still work (the wrong entries above counted against the other flows' codes).
    const aDone = await setPassword(a.browser, aPage, { code: codeX, password: PASSWORD });
    assert.match(textOf(aDone.html), new RegExp(x.email!.replace(/\./g, '\\.')));
    const bDone = await setPassword(b.browser, bPage, { code: codeY, password: NEW_PASSWORD });
    assert.match(textOf(bDone.html), new RegExp(y.email!.replace(/\./g, '\\.')));
    // A used code cannot be used again.
    const replay = await startPortal();
    const replayPage = await askForCode(replay.browser, replay.page, 'email', 'ingen.her@firma.example');
    assert.equal((await setPassword(replay.browser, replayPage, { code: codeY, password: PASSWORD })).status, 400);
  });

  test('a new code cancels the old one, in the same flow and in another', async () => {
    const user = await createBusinessUser(idp);
    const { browser, page: login } = await startPortal();
    const first = await askForCode(browser, login, 'email', user.email!);
    const code1 = codeIn((await delivered())[0]!.text);
    offset = idp.settings.resendWait * 1000;
    const second = await browser.submit(first, {}, { action: /\/business\/resend$/ });
    const code2 = codeIn((await delivered())[0]!.text);
    if (code1 !== code2) {
      const refused = await setPassword(browser, second, { code: code1, password: PASSWORD });
      assert.equal(refused.status, 400, 'the older code no longer works');
    }

    // Another browser asks for a code for the same user: this browser's code dies.
    const other = await startPortal();
    const otherPage = await askForCode(other.browser, other.page, 'email', user.email!);
    const code3 = codeIn((await delivered())[0]!.text);
    const dead = await setPassword(browser, second, { code: code2, password: PASSWORD });
    assert.equal(dead.status, 400);
    assert.match(textOf(dead.html), /Engangskoden kan ikke brukes/);
    const done = await setPassword(other.browser, otherPage, { code: code3, password: PASSWORD });
    assert.match(textOf(done.html), /Brukerkontoen din er aktivert/);
  });

  test('unknown e-mail and unknown mobile: the same answer and page as a registered one, nothing sent', async () => {
    const user = await createBusinessUser(idp, { mobile: '41234588' });
    const cases = [
      { channel: 'email', field: 'email', address: user.email! },
      { channel: 'email', field: 'email', address: 'finnes.ikke@firma.example' },
      { channel: 'sms', field: 'mobile', address: '41234588' },
      { channel: 'sms', field: 'mobile', address: '41234500' },
    ] as const;
    const answers: { status: number; location: string; cookies: string; page: string }[] = [];
    for (const { channel, field, address } of cases) {
      const { browser, page: login } = await startPortal();
      const request = await browser.go(linkOn(login, /Klikk her for å aktivere din brukerkonto/));
      const form = formOn(request, new RegExp(`/${channel}$`));
      const uid = form.url.pathname.split('/')[2]!;
      const answer = await browser.request(form.url, { form: { ...form.hidden, [field]: address } });
      const page = await browser.go(answer.location!);
      answers.push({
        status: answer.status,
        location: answer.location!.replace(uid, 'UID'),
        cookies: answer.headers.getSetCookie().map((c) => c.replace(/=[^;]*/, '=')).join('|'),
        // The page repeats the address as typed (so a typo can be seen); nothing else may differ.
        page: page.html
          .replaceAll(uid, 'UID')
          .replace(/name="csrf" value="[^"]+"/g, '')
          .replace(/name="username" value="[^"]*"/, '')
          .replace(/(<p>Du ba om engangskode på (?:e-post|SMS) til )[^<]*(\.<\/p>)/, '$1ADDRESS$2'),
      });
    }
    assert.equal(answers[0]!.status, 303);
    assert.equal(answers[0]!.location, `${idp.issuer}/interaction/UID/business/password`);
    // Registered or not: the same answer and the same page (e-mail and SMS pages differ only by the username hint).
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[3], answers[2]);
    assert.deepEqual({ ...answers[2], page: '' }, { ...answers[0], page: '' });
    const messages = await delivered();
    assert.deepEqual(messages.map((m) => m.to).sort(), [user.email!, '+4741234588'].sort(), 'only the registered addresses got a code');
    const requested = await latestAudit(idp.db, 4, { event: 'code.requested' });
    assert.deepEqual(requested.map((row) => [row.detail.sent, row.detail.reason ?? null]).reverse(), [[true, null], [false, 'unknown'], [true, null], [false, 'unknown']]);
  });

  test('an address that is not an address gets a clear error on its field', async () => {
    const { browser, page: login } = await startPortal();
    const request = await browser.go(linkOn(login, /Klikk her for å aktivere din brukerkonto/));
    const page = await browser.submit(request, { mobile: 'ring meg' }, { action: /\/sms$/ });
    assert.equal(page.status, 400);
    assert.match(textOf(page.html), /Skriv inn et gyldig mobilnummer/);
    assert.match(page.html, /id="mobile-error"/);
    assert.equal((await delivered()).length, 0);
  });

  test('every failed sign-in looks the same: wrong password, unknown e-mail, not activated, disabled, a member', async () => {
    const active = await createBusinessUser(idp, { password: PASSWORD });
    const invited = await createBusinessUser(idp);
    const disabled = await createBusinessUser(idp, { password: PASSWORD, disabled: true });
    const member = await createMember(idp, { password: PASSWORD, email: 'medlem.med.epost@example.org' });
    const pages = [
      (await signIn(active.email!, 'feil-passord-her-123')).result,
      (await signIn('ukjent@firma.example', PASSWORD)).result,
      (await signIn(invited.email!, PASSWORD)).result,
      (await signIn(disabled.email!, PASSWORD)).result,
      (await signIn(member.email!, PASSWORD)).result,
      (await signIn('ikke en adresse', PASSWORD)).result,
    ];
    const normalise = (html: string) => html.replace(/\/interaction\/[\w-]+/g, '').replace(/name="csrf" value="[^"]+"/g, '').replace(/name="email" type="email" value="[^"]*"/, '');
    for (const page of pages) {
      assert.equal(page.status, 400);
      assert.equal(page.location, undefined, 'no redirect to the app');
      assert.match(textOf(page.html), /Feil e-post eller passord\./);
      assert.equal(normalise(page.html), normalise(pages[0]!.html));
    }
    const failed = await latestAudit(idp.db, 6, { event: 'sign_in.failed' });
    assert.equal(failed.length, 6);
    assert.ok(failed.every((row) => row.detail.kind === 'business'));
  });

  test('a disabled user can neither activate nor sign in; disabling kills a code already sent', async () => {
    const disabled = await createBusinessUser(idp, { mobile: '41234577', disabled: true });
    for (const [channel, address] of [['email', disabled.email!], ['sms', '41234577']] as const) {
      const { browser, page: login } = await startPortal();
      const page = await askForCode(browser, login, channel, address);
      assert.ok(textOf(page.html).includes(SENT_MESSAGE[channel]), 'the same answer');
    }
    assert.equal((await delivered()).length, 0, 'no code for a disabled user');
    const [requested] = await latestAudit(idp.db, 1, { accountId: disabled.id, event: 'code.requested' });
    assert.equal(requested!.detail.reason, 'disabled');

    const user = await createBusinessUser(idp);
    const { browser, page: login } = await startPortal();
    const page = await askForCode(browser, login, 'email', user.email!);
    const code = codeIn((await delivered())[0]!.text);
    await disableBusinessUser(idp.db, user.email!);
    const refused = await setPassword(browser, page, { code, password: PASSWORD });
    assert.equal(refused.status, 400);
    assert.match(textOf(refused.html), /Engangskoden kan ikke brukes/);
    const account = await findAccountById(idp.db, user.id);
    assert.equal(account!.status, 'disabled');
    assert.equal(account!.passwordHash, null);
  });

  test('password rules are enforced with their reasons, and a refused password does not spend the code', async () => {
    const user = await createBusinessUser(idp, { email: 'ola.hansen@firma.example', mobile: '41234566' });
    const { browser, page: login, verifier, state } = await startPortal();
    let page = await askForCode(browser, login, 'email', user.email!);
    const code = codeIn((await delivered())[0]!.text);
    const refusals: [string, string, RegExp][] = [
      ['kort-pass', 'kort-pass', /Passordet må ha minst 12 tegn\./],
      ['passwordpassword', 'passwordpassword', /Passordet er for vanlig og lett å gjette\. Velg et annet/],
      ['ola.hansen-sitt-passord', 'ola.hansen-sitt-passord', /Passordet kan ikke inneholde medlemsnummeret, brukernavnet eller e-postadressen din\./],
      [PASSWORD, `${PASSWORD}x`, /Passordene er ikke like\./],
      ['x'.repeat(300), 'x'.repeat(300), /Passordet kan ha høyst 256 tegn\./],
    ];
    for (const [password, confirm, reason] of refusals) {
      page = await setPassword(browser, page, { code, password, confirm });
      assert.equal(page.status, 400);
      assert.match(textOf(page.html), reason);
    }
    // Known only once the code is accepted: the account's own mobile is an identifier too.
    page = await setPassword(browser, page, { code, password: 'mitt-nummer-+4741234566' });
    assert.equal(page.status, 400);
    assert.match(textOf(page.html), /Engangskoden er godkjent\. Velg passordet ditt\./);
    assert.match(textOf(page.html), /kan ikke inneholde/);
    assert.doesNotMatch(page.html, /name="code"/, 'the code is not asked for again');
    const done = await setPassword(browser, page, { password: PASSWORD });
    const result = await browser.submit(done, {}, { stopAt: CALLBACK });
    assert.equal((await portal.finish(result.location!, verifier, state)).claims()!.sub, user.id);

    // In English, too.
    const other = await createBusinessUser(idp);
    const en = await startPortal(new Browser({ 'accept-language': 'en' }));
    const enPage = await askForCode(en.browser, en.page, 'email', other.email!);
    const refused = await setPassword(en.browser, enPage, { code: codeIn((await delivered())[0]!.text), password: 'short' });
    assert.match(textOf(refused.html), /The password must have at least 12 characters\./);
  });

  test('"Glemt passord": a new password ends every other session, sends a notice, and the old password stops working', async () => {
    const user = await createBusinessUser(idp, { password: PASSWORD });
    const a = await signIn(user.email!, PASSWORD);
    const tokens = await portal.finish(a.result.location!, a.verifier, a.state);
    assert.ok(tokens.refresh_token);

    const b = await startPortal();
    const request = await b.browser.go(linkOn(b.page, /Glemt passord/));
    assert.match(textOf(request.html), /Glemt passord/);
    const codePage = await b.browser.submit(request, { email: user.email! }, { action: /\/email$/ });
    const done = await setPassword(b.browser, codePage, { code: codeIn((await delivered())[0]!.text), password: NEW_PASSWORD });
    assert.match(textOf(done.html), /Passordet ditt er endret/);

    await assert.rejects(oidc.refreshTokenGrant(portal.config, tokens.refresh_token!), (error: Error & { error?: string }) => error.error === 'invalid_grant');
    const silent = await startPortal(a.browser, { prompt: 'none' });
    assert.match(silent.page.location ?? '', /error=login_required/);

    const [notice, ...rest] = await delivered();
    assert.equal(rest.length, 0);
    assert.equal(notice!.kind, 'business_password_changed');
    assert.equal(notice!.to, user.email);
    assert.ok(!notice!.text.includes(NEW_PASSWORD) && !/\b\d{6}\b/.test(notice!.text), 'no secret in the notice');

    const result = await b.browser.submit(done, {}, { stopAt: CALLBACK });
    assert.equal((await portal.finish(result.location!, b.verifier, b.state)).claims()!.sub, user.id);
    assert.equal((await signIn(user.email!, PASSWORD)).result.status, 400, 'the old password no longer works');
    assert.ok((await signIn(user.email!, NEW_PASSWORD)).result.location?.startsWith(CALLBACK));
    const [reset] = await latestAudit(idp.db, 1, { accountId: user.id, event: 'business.password_reset' });
    assert.equal(reset!.detail.via, 'email_code');
  });

  test('the code and the "password changed" notice are in the language of the page, not the register', async () => {
    const user = await createBusinessUser(idp, { password: PASSWORD, language: 'nb' });
    const b = await startPortal(new Browser({ 'accept-language': 'en' }));
    const request = await b.browser.go(linkOn(b.page, /Forgot password/));
    const codePage = await b.browser.submit(request, { email: user.email! }, { action: /\/email$/ });
    const [code] = await delivered();
    assert.equal(code!.subject, 'One-time code from Handel og Kontor');
    await setPassword(b.browser, codePage, { code: codeIn(code!.text), password: NEW_PASSWORD });
    const [notice] = await delivered();
    assert.equal(notice!.kind, 'business_password_changed');
    assert.equal(notice!.subject, 'Your password has been changed');
  });

  test('an invitation link works once, leads to the business portal, and not after it expires', async () => {
    const user = await createBusinessUser(idp);
    const out: string[] = [];
    const cli = { db: idp.db, settings: idp.settings, out: (line: string) => out.push(line), err: (line: string) => out.push(line), actor: 'admin:test' };
    assert.equal(await runCli(['business-users', 'invite', user.email!], cli), 0);
    const [mail] = await delivered();
    assert.equal(mail!.kind, 'business_invitation');
    assert.equal(mail!.to, user.email);
    const link = mail!.text.match(/(https?:\/\/\S+)/)?.[1];
    assert.ok(link?.startsWith(`${idp.issuer}/business/invitation/`), 'the link is built from the configured issuer');
    assert.ok(mail!.html.includes(`<a href="${link}"`));
    assert.match(mail!.text, /gyldig i 7 dager/);

    const browser = new Browser();
    const page = await browser.go(link!);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.ok(textOf(page.html).includes(user.email!));
    assert.equal((await new Browser().go(link!)).status, 200, 'opening the link uses nothing up');

    const short = await browser.submit(page, { password: 'kort', confirm: 'kort' });
    assert.equal(short.status, 400);
    assert.match(textOf(short.html), /Passordet må ha minst 12 tegn\./);

    // A form posted without this browser's form cookie is refused.
    const form = formOn(page, /invitation/);
    assert.equal((await new Browser().request(form.url, { form: { ...form.hidden, password: PASSWORD, confirm: PASSWORD } })).status, 403);

    const done = await browser.submit(page, { password: PASSWORD, confirm: PASSWORD });
    assert.equal(done.status, 200);
    assert.match(textOf(done.html), /Brukerkontoen din er aktivert/);
    assert.ok(textOf(done.html).includes(user.email!));
    assert.match(done.html, /href="https:\/\/bedrift\.hk\.no"/, 'a link to the configured business portal');

    const reused = await new Browser().go(link!);
    assert.equal(reused.status, 410);
    assert.match(textOf(reused.html), /Lenken kan ikke brukes/);
    assert.equal((await browser.submit(page, { password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status, 410);
    assert.ok((await signIn(user.email!, PASSWORD)).result.location?.startsWith(CALLBACK), 'the chosen password works');
    const events = (await latestAudit(idp.db, 20, { accountId: user.id })).map((row) => [row.event, row.actor, row.detail.via]);
    assert.ok(events.some(([event, actor]) => event === 'business.invited' && actor === 'admin:test'));
    assert.ok(events.some(([event, , via]) => event === 'business.activated' && via === 'invitation'));

    // Expiry.
    const late = await createBusinessUser(idp);
    assert.equal(await runCli(['business-users', 'invite', late.email!], cli), 0);
    const lateLink = (await delivered())[0]!.text.match(/(https?:\/\/\S+)/)![1]!;
    const latePage = await new Browser().go(lateLink);
    assert.equal(latePage.status, 200);
    offset = (idp.settings.invitationTtl + 60) * 1000;
    assert.equal((await new Browser().go(lateLink)).status, 410);
    assert.equal((await findAccountById(idp.db, late.id))!.status, 'invited');
  });

  test('a member cannot sign in on a business client, nor a business user on a member client', async () => {
    const member = await createMember(idp, { password: PASSWORD, email: 'medlem.og.bedrift@example.org' });
    const business = await createBusinessUser(idp, { password: PASSWORD });

    // Credentials of the other kind get the ordinary refusal.
    assert.match(textOf((await signIn(member.email!, PASSWORD)).result.html), /Feil e-post eller passord/);
    const onMember = new Browser();
    const memberLogin = await memberApp.start(onMember);
    const refused = await onMember.submit(memberLogin.page, { identifier: business.email!, password: PASSWORD }, { stopAt: CALLBACK });
    assert.equal(refused.status, 400);
    assert.match(textOf(refused.html), /Feil medlemsnummer\/brukernavn eller passord/);

    // The member form posted into a business sign-in signs no one in.
    const { browser, page } = await startPortal();
    const uid = uidOf(page.url);
    const csrf = formOn(page, /business\/login/).hidden.csrf!;
    const posted = await browser.request(`${idp.issuer}/interaction/${uid}/login`, { form: { csrf, identifier: member.memberNumber!, password: PASSWORD } });
    assert.equal(posted.status, 303);
    assert.equal(posted.location, `${idp.issuer}/interaction/${uid}`);

    // A member's session does not satisfy the business portal...
    const memberBrowser = new Browser();
    const m = await memberApp.start(memberBrowser);
    assert.ok((await memberBrowser.submit(m.page, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK })).location?.startsWith(CALLBACK));
    const asked = await startPortal(memberBrowser);
    assert.equal(asked.page.status, 200);
    assert.match(textOf(asked.page.html), /Innlogging/);
    assert.match((await startPortal(memberBrowser, { prompt: 'none' })).page.location ?? '', /error=login_required/);
    // Signing in there as the business user replaces the member's session (the provider logs the member out first).
    const switched = await startPortal(memberBrowser);
    const logout = await memberBrowser.submit(switched.page, { email: business.email!, password: PASSWORD }, { stopAt: CALLBACK });
    assert.match(logout.html, /session\/end\/confirm/);
    const back = await memberBrowser.submit(logout, {}, { stopAt: CALLBACK });
    assert.equal((await portal.finish(back.location!, switched.verifier, switched.state)).claims()!.sub, business.id);

    // ...nor a business session a member app.
    const businessBrowser = new Browser();
    const b = await startPortal(businessBrowser);
    assert.ok((await businessBrowser.submit(b.page, { email: business.email!, password: PASSWORD }, { stopAt: CALLBACK })).location?.startsWith(CALLBACK));
    const memberAsked = await memberApp.start(businessBrowser);
    assert.equal(memberAsked.page.status, 200);
    assert.match(textOf(memberAsked.page.html), /Medlemsnummer eller brukernavn/);
    assert.match((await memberApp.start(businessBrowser, { prompt: 'none' })).page.location ?? '', /error=login_required/);
  });
});
