// What every page shares, over HTTP without script: the brand's files, a language switch on every
// page that leads to a GET of the same step (also from pages that answer a POST), "send again" with
// its wait enforced by the server, and our own page where oidc-provider would show its English form.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { DEMO_MEMBER } from '../../src/demo.ts';
import { inviteBusinessUser } from '../../src/accounts/business-users.ts';
import { Browser, decode, textOf, type Page } from '../support/browser.ts';
import { createBusinessUser, createMember } from '../support/accounts.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { CALLBACK, registerRp, type Rp } from '../support/rp.ts';

const PASSWORD = 'tranebær og tyttebær';

function linkOn(page: Page, text: string): URL {
  const match = [...page.html.matchAll(/<a [^>]*href="([^"]+)"[^>]*>([^<]*)<\/a>/g)].find((m) => decode(m[2]!) === text);
  assert.ok(match, `no link "${text}" on ${page.url}:\n${textOf(page.html)}`);
  return new URL(decode(match[1]!), page.url);
}

/** The app's callback after a sign-in ended: redeeming it must fail with `error` (RFC 6749 §4.1.2.1). */
async function assertAppGets(rp: Rp, callback: string | undefined, start: { verifier: string; state: string }, error: string): Promise<void> {
  assert.ok(callback?.startsWith(CALLBACK), `back at the app: ${callback}`);
  await assert.rejects(rp.finish(callback!, start.verifier, start.state), (e: unknown) => e instanceof oidc.AuthorizationResponseError && e.error === error);
}

const langOf = (page: Page) => /<html lang="(\w+)">/.exec(page.html)?.[1];

describe('pages', () => {
  let idp: TestIdp;
  let members: Rp;
  let portal: Rp;
  // The server's clock runs `offset` ms ahead (of the real time, or of a moment a test holds it at).
  let offset = 0;
  let heldAt: number | undefined;
  before(async () => {
    idp = await startIdp({ BRAND_COLOR: '#005a9c' }, { now: () => (heldAt ?? Date.now()) + offset });
    members = await registerRp(idp);
    portal = await registerRp(idp, { name: 'Bedriftsportalen', login: 'business' });
  });
  after(async () => {
    await idp.close();
  });

  async function deliveredTo(to: string) {
    await idp.outbox.deliverDue();
    return idp.devOutbox!.filter((m) => m.to === to);
  }

  test('the brand’s colours are a stylesheet of their own; files are linked with a content hash', async () => {
    const browser = new Browser();
    const { page } = await members.start(browser);
    const links = [...page.html.matchAll(/(?:href|src)="(\/static\/[\w.]+)\?v=([\w-]+)"/g)].map((m) => m[1]);
    assert.deepEqual(links.sort(), ['/static/brand.css', '/static/hk.css', '/static/hk.js']);
    const css = await browser.request(`${idp.issuer}/static/brand.css`);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.match(css.html, /--brand: #005a9c;/);
    const js = await browser.request(`${idp.issuer}/static/hk.js`);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await browser.request(`${idp.issuer}/static/other.js`)).status, 404);
  });

  test('the sign-in page names the app and shows its logo, and its registration decides which sign-in it is', async () => {
    const app = await registerRp(idp, { name: 'Uravstemning', logoUri: `${idp.issuer}/static/logo.svg` });
    const { page } = await app.start(new Browser());
    assert.match(page.html, /<p class="client"><img src="[^"]*\/static\/logo.svg" alt="" height="32"> <span>[^<]*Uravstemning/);
    assert.match(page.html, /action="\/interaction\/[\w-]+\/login"/);
    const business = await portal.start(new Browser());
    assert.match(business.page.html, /<p class="client"><span>[^<]*Bedriftsportalen/);
    assert.match(business.page.html, /action="\/interaction\/[\w-]+\/business\/login"/);
  });

  test('every page’s language switch is a GET of the same step, in the other language', async () => {
    const seen: string[] = [];
    async function switchWorks(browser: Browser, page: Page, name: string) {
      const href = /<a class="lang" href="([^"]+)"/.exec(page.html)?.[1];
      assert.ok(href, `${name}: no language switch`);
      const other = langOf(page) === 'nb' ? 'en' : 'nb';
      const switched = await browser.go(new URL(decode(href), page.url));
      assert.ok(switched.status === page.status || switched.status === 200, `${name}: the switch answered ${switched.status}`);
      assert.equal(langOf(switched), other, `${name}: switched`);
      // Back, so the rest of the flow goes on in Norwegian.
      const back = /<a class="lang" href="([^"]+)"/.exec(switched.html)?.[1];
      assert.equal(langOf(await browser.go(new URL(decode(back!), switched.url))), langOf(page), `${name}: back`);
      seen.push(name);
    }

    // Member: sign-in, order, sent, first login, credentials; each also after a refused form.
    const member = await createMember(idp);
    const b = new Browser();
    const { page: login } = await members.start(b);
    await switchWorks(b, login, 'member login');
    await switchWorks(b, await b.submit(login, { identifier: member.memberNumber!, password: 'feil' }), 'member login refused');
    const order = await b.go(linkOn(login, 'Jeg vil ha eller har glemt passord'));
    await switchWorks(b, order, 'order');
    await switchWorks(b, await b.submit(order, { member_number: 'x', channel: 'sms', mobile: '1' }), 'order refused');
    const sent = await b.submit(order, { member_number: member.memberNumber!, channel: 'sms', mobile: member.mobile! });
    await switchWorks(b, sent, 'sent');
    const tooSoon = await b.submit(sent, {}, { action: /resend$/ });
    assert.equal(tooSoon.status, 429);
    await switchWorks(b, tooSoon, 'resend too soon');
    const password = /\b([a-z2-9]{4} [a-z2-9]{4} [a-z2-9]{4})\b/.exec((await deliveredTo(member.mobile!))[0]!.text)![1]!;
    const firstLogin = await b.go(linkOn(sent, 'Jeg har fått nytt passord/PIN'));
    await switchWorks(b, firstLogin, 'first login');
    await switchWorks(b, await b.submit(firstLogin, { member_number: member.memberNumber!, password: 'aaaa bbbb cccc' }), 'first login refused');
    const credentials = await b.submit(firstLogin, { member_number: member.memberNumber!, password });
    await switchWorks(b, credentials, 'credentials');
    await switchWorks(b, await b.submit(credentials, { username: '123', password: 'x', confirmation: 'y' }), 'credentials refused');
    await idp.db('first_time_passwords').where({ account_id: member.id }).update({ expires_at: 0 });
    await switchWorks(b, await b.submit(credentials, { username: `kari.${member.memberNumber}`, password: PASSWORD, confirmation: PASSWORD }), 'credentials expired');

    // Business: sign-in, code request, code and password, done; the invitation.
    const user = await createBusinessUser(idp);
    const p = new Browser();
    const { page: portalLogin } = await portal.start(p, { scope: 'openid email business' });
    await switchWorks(p, portalLogin, 'business login');
    await switchWorks(p, await p.submit(portalLogin, { email: user.email!, password: 'feil' }), 'business login refused');
    const activate = await p.go(linkOn(portalLogin, 'Klikk her for å aktivere din brukerkonto'));
    await switchWorks(p, activate, 'code request');
    await switchWorks(p, await p.submit(activate, { email: 'ikke' }, { action: /\/email$/ }), 'code request refused');
    const codePage = await p.submit(activate, { email: user.email! }, { action: /\/email$/ });
    await switchWorks(p, codePage, 'code and password');
    await switchWorks(p, await p.submit(codePage, { code: '1', password: 'x', confirm: 'x' }, { action: /\/password$/ }), 'code and password refused');
    await switchWorks(p, await p.submit(codePage, {}, { action: /\/resend$/ }), 'new code too soon');
    const code = /\b(\d{6})\b/.exec((await deliveredTo(user.email!))[0]!.text)![1]!;
    await switchWorks(p, await p.submit(codePage, { code, password: PASSWORD, confirm: PASSWORD }, { action: /\/password$/ }), 'activated');

    const invited = await createBusinessUser(idp);
    await inviteBusinessUser(idp.db, { issuer: idp.issuer, ttlMs: 3600_000, createdBy: 'test' }, invited.email!);
    const link = /(https?:\/\/\S+)/.exec((await deliveredTo(invited.email!))[0]!.text)![1]!;
    const i = new Browser();
    const invitation = await i.go(link);
    await switchWorks(i, invitation, 'invitation');
    await switchWorks(i, await i.submit(await i.go(link), { password: 'x', confirm: 'y' }), 'invitation refused');

    // Consent, logout, errors.
    const thirdParty = await registerRp(idp, { name: 'Andres app', firstParty: false });
    const withPassword = await createMember(idp, { password: PASSWORD });
    const c = new Browser();
    const { page: consentLogin } = await thirdParty.start(c);
    const signedIn = await c.submit(consentLogin, { identifier: withPassword.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
    assert.match(textOf(signedIn.html), /Andres app ber om tilgang/, 'the sign-in above failed or needs no consent');
    await switchWorks(c, signedIn, 'consent');
    await switchWorks(c, await c.go(`${idp.issuer}/session/end?client_id=${members.clientId}`), 'logout');
    await switchWorks(c, await c.go(`${idp.issuer}/nope`), 'not found');
    await switchWorks(c, await c.go(`${idp.issuer}/auth?client_id=nope&response_type=code&scope=openid`), 'protocol error');
    const d = new Browser();
    const { page: another } = await members.start(d);
    const csrf = await d.request(new URL(decode(/action="([^"]+\/login)"/.exec(another.html)![1]!), idp.issuer), { form: { csrf: 'forged' } });
    assert.equal(csrf.status, 403);
    assert.match(csrf.html, /<a class="lang" href="\/interaction\/[\w-]+\?lang=en"/, 'a refused POST’s page switches to the GET of its step');

    assert.equal(seen.length, 25, seen.join(", "));
  });

  test('ordering the same first-time password twice at once sends one; "send again" waits, then sends', async (t) => {
    offset = 0;
    // Held still, so the waits below are the offsets alone, however slow the machine.
    heldAt = Date.now();
    t.after(() => (heldAt = undefined));
    const member = await createMember(idp);
    const b = new Browser();
    const { page: login } = await members.start(b);
    const order = await b.go(linkOn(login, 'Jeg vil ha eller har glemt passord'));
    const fields = { member_number: member.memberNumber!, channel: 'sms', mobile: member.mobile! };
    await b.submit(order, fields);
    const sent = await b.submit(order, fields);
    assert.equal((await deliveredTo(member.mobile!)).length, 1, 'a double click sends once');
    assert.match(textOf(sent.html), /Om 60 sekunder kan du få det sendt på nytt\./);
    // What was typed, as a person reads a number: a typo can be seen.
    const [, a, b2, c] = /^\+47(\d{3})(\d{2})(\d{3})$/.exec(member.mobile!)!;
    assert.ok(textOf(sent.html).includes(`Du ba om førstegangspassord på SMS til +47 ${a} ${b2} ${c}.`));

    offset = 59_000;
    const refused = await b.submit(sent, {}, { action: /resend$/ });
    assert.equal(refused.status, 429);
    assert.match(textOf(refused.html), /Vent 1 sekund før du ber om et nytt\./);
    assert.equal((await deliveredTo(member.mobile!)).length, 1);

    offset = 60_000;
    const again = await b.submit(sent, {}, { action: /resend$/ });
    assert.equal(again.status, 200);
    assert.match(textOf(again.html), /Vi har sendt et nytt førstegangspassord/);
    assert.equal((await deliveredTo(member.mobile!)).length, 2);
    offset = 0;
  });

  test('a second sign-in with another kind of account ends the first with our page, not the library’s', async () => {
    const member = await createMember(idp, { password: PASSWORD });
    const user = await createBusinessUser(idp, { password: PASSWORD });
    const b = new Browser();
    const { page: login } = await members.start(b);
    await b.submit(login, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
    const { page: portalLogin } = await portal.start(b, { scope: 'openid email business' });
    const switchPage = await b.submit(portalLogin, { email: user.email!, password: PASSWORD }, { stopAt: CALLBACK });
    assert.equal(switchPage.status, 200);
    assert.match(textOf(switchPage.html), /Du er logget inn med en annen konto .* For å fortsette til Bedriftsportalen blir du først logget ut av den\./);
    assert.doesNotMatch(switchPage.html, /<script(?! type="module" src=)|Submitting Callback|Continue/);
    assert.doesNotMatch(switchPage.headers.get('content-security-policy')!, /sha256/, 'no inline script allowed');
    assert.match(switchPage.headers.get('content-security-policy')!, /script-src 'self'/);
    const done = await b.submit(switchPage, {}, { action: /\/session\/end\/confirm$/, stopAt: CALLBACK });
    assert.ok(done.location?.startsWith(CALLBACK), `back at the portal: ${done.location}`);
    assert.ok(new URL(done.location!).searchParams.get('code'));
  });

  test('every sign-in page and in-flow error page has "Avbryt og gå tilbake til {app}", which returns access_denied to the app', async () => {
    const cancel = (page: Page) => /<form class="cancel" method="post" action="[^"]+\/abort">[\s\S]*?<button[^>]*>([^<]+)<\/button>/.exec(page.html)?.[1];
    const member = await createMember(idp);
    // The member sign-in, then each page of the first-time password flow, each cancelled in a sign-in of its own.
    const steps: [string, (b: Browser, login: Page) => Promise<Page>][] = [
      ['member login', async (_b, login) => login],
      ['order', (b, login) => b.go(linkOn(login, 'Jeg vil ha eller har glemt passord'))],
      ['sent', async (b, login) => b.submit(await b.go(linkOn(login, 'Jeg vil ha eller har glemt passord')), { member_number: member.memberNumber!, channel: 'sms', mobile: member.mobile! })],
      ['first login', (b, login) => b.go(linkOn(login, 'Jeg har fått nytt passord/PIN'))],
      ['refused sign-in', (b, login) => b.submit(login, { identifier: member.memberNumber!, password: 'feil' })],
      ['error page (forged form)', (b, login) => b.request(new URL(decode(/action="([^"]+\/login)"/.exec(login.html)![1]!), idp.issuer), { form: { csrf: 'forged' } })],
      ['error page (not found)', (b, login) => b.go(new URL(`${new URL(login.url).pathname}/nope`, idp.issuer))],
    ];
    for (const [name, reach] of steps) {
      const b = new Browser();
      const start = await members.start(b);
      const page = await reach(b, start.page);
      assert.equal(cancel(page), 'Avbryt og gå tilbake til Testapp', `${name}: the way back`);
      const back = await b.submit(page, {}, { action: /\/abort$/, stopAt: CALLBACK });
      await assertAppGets(members, back.location, start, 'access_denied');
    }
    // The business portal's pages too, in English.
    const user = await createBusinessUser(idp);
    const p = new Browser({ 'accept-language': 'en' });
    const start = await portal.start(p, { scope: 'openid email business' });
    const activate = await p.go(linkOn(start.page, 'Click here to activate your user account'));
    const codePage = await p.submit(activate, { email: user.email! }, { action: /\/email$/ });
    for (const page of [start.page, activate, codePage]) assert.equal(cancel(page), 'Cancel and go back to Bedriftsportalen');
    await assertAppGets(portal, (await p.submit(codePage, {}, { action: /\/abort$/, stopAt: CALLBACK })).location, start, 'access_denied');
    // A forged cancel changes nothing: the sign-in goes on.
    const f = new Browser();
    const forged = await members.start(f);
    const refused = await f.request(new URL(decode(/action="([^"]+\/abort)"/.exec(forged.page.html)![1]!), idp.issuer), { form: { csrf: 'forged' } });
    assert.equal(refused.status, 403);
    assert.equal((await f.go(forged.page.url, {}, CALLBACK)).status, 200, 'still signing in');
  });

  test('after asking for a code by SMS the page speaks of the mobile number; by e-mail, of the e-mail address', async () => {
    const sms = new Browser();
    const { page: login } = await portal.start(sms, { scope: 'openid email business' });
    const activate = await sms.go(linkOn(login, 'Klikk her for å aktivere din brukerkonto'));
    const bySms = textOf((await sms.submit(activate, { mobile: '41234599' }, { action: /\/sms$/ })).html);
    assert.match(bySms, /Dersom mobilnummeret ditt er registrert hos oss, får du en engangskode på SMS om kort tid\./);
    assert.doesNotMatch(bySms, /e-post(adressen)? (din )?er registrert|din e-post/);
    const byEmail = textOf((await sms.submit(activate, { email: 'noen@firma.example' }, { action: /\/email$/ })).html);
    assert.match(byEmail, /Dersom e-postadressen din er registrert hos oss, får du en engangskode om kort tid\./);
    assert.doesNotMatch(byEmail, /mobilnummeret ditt er registrert/);
  });

  test('a new password refused on the code step keeps the right code: the next try asks only for the password', async () => {
    const user = await createBusinessUser(idp);
    const b = new Browser();
    const { page: login } = await portal.start(b, { scope: 'openid email business' });
    const activate = await b.go(linkOn(login, 'Klikk her for å aktivere din brukerkonto'));
    const codePage = await b.submit(activate, { email: user.email! }, { action: /\/email$/ });
    const code = /\b(\d{6})\b/.exec((await deliveredTo(user.email!)).at(-1)!.text)![1]!;
    const refused = await b.submit(codePage, { code, password: 'kort', confirm: 'kort' }, { action: /\/password$/ });
    assert.equal(refused.status, 400);
    assert.match(textOf(refused.html), /Engangskoden er godkjent\. Velg passordet ditt\./);
    assert.match(textOf(refused.html), /Passordet må ha minst 12 tegn\./);
    assert.doesNotMatch(refused.html, /name="code"/, 'no code to type again');
    const done = await b.submit(refused, { password: PASSWORD, confirm: PASSWORD }, { action: /\/password$/ });
    assert.match(textOf(done.html), /Brukerkontoen din er aktivert/);
    // A wrong code with a refused password: both said, nothing verified.
    const w = new Browser();
    const { page: again } = await portal.start(w, { scope: 'openid email business' });
    const other = await createBusinessUser(idp);
    const otherCodePage = await w.submit(await w.go(linkOn(again, 'Klikk her for å aktivere din brukerkonto')), { email: other.email! }, { action: /\/email$/ });
    await deliveredTo(other.email!); // the worker issues the code the wrong one is checked against
    const wrong = await w.submit(otherCodePage, { code: '000000', password: 'kort', confirm: 'kort' }, { action: /\/password$/ });
    assert.match(textOf(wrong.html), /Feil engangskode\. Du kan prøve \d+ (gang|ganger) til\./);
    assert.match(textOf(wrong.html), /Passordet må ha minst 12 tegn\./);
    assert.match(wrong.html, /name="code"/);
  });
});

describe('repeated orders', () => {
  let idp: TestIdp;
  let members: Rp;
  let offset = 0;
  before(async () => {
    idp = await startIdp({ SEND_LIMIT_RECIPIENT_15MIN: '3' }, { now: () => Date.now() + offset });
    members = await registerRp(idp);
  });
  after(() => idp.close());

  async function deliveredTo(to: string) {
    await idp.outbox.deliverDue();
    return idp.devOutbox!.filter((m) => m.to === to);
  }

  test('a 4th order in one sign-in says "use the last one you got", the same whether the member exists or not', async () => {
    const member = await createMember(idp);
    const answers: string[][] = [];
    for (const memberNumber of [member.memberNumber!, '99999998']) {
      offset = 0;
      const b = new Browser();
      const { page: login } = await members.start(b);
      const order = await b.go(linkOn(login, 'Jeg vil ha eller har glemt passord'));
      const said: string[] = [];
      for (let i = 0; i < 4; i++) {
        offset = i * 61_000;
        const sent = await b.submit(order, { member_number: memberNumber, channel: 'sms', mobile: member.mobile! });
        said.push(textOf(/<div class="status" role="status">([\s\S]*?)<\/div>/.exec(sent.html)![1]!));
      }
      answers.push(said);
    }
    const [known, unknown] = answers;
    assert.doesNotMatch(known![2]!, /Har du bestilt flere ganger/, 'not before the limit');
    assert.match(known![3]!, /Har du bestilt flere ganger\? Bruk det siste førstegangspassordet du fikk\./);
    assert.doesNotMatch(known![3]!, /Vi har sendt/, 'nothing said about sending');
    assert.deepEqual(unknown, known, 'the same words whatever exists');
    offset = 300_000;
    assert.equal((await deliveredTo(member.mobile!)).length, 3, 'the limit held');
    offset = 0;
  });
});

describe('pages with a contact phone', () => {
  let idp: TestIdp;
  let rp: Rp;
  before(async () => {
    idp = await startIdp({ CONTACT_PHONE: '23 06 40 00', CONTACT_PHONE_HOURS: '08:00-15:30' });
    rp = await registerRp(idp);
  });
  after(() => idp.close());

  test('the footer and the sign-in help give the number as a tel: link with the opening hours', async () => {
    const nb = await rp.start(new Browser());
    assert.match(nb.page.html, /<footer class="foot"><p>Trenger du hjelp\? Ring oss på <a href="tel:\+4723064000">23 06 40 00<\/a> \(hverdager kl\. 08\.00–15\.30\) eller skriv til <a href="mailto:post@hk\.no">post@hk\.no<\/a>\.<\/p><\/footer>/);
    assert.match(textOf(nb.page.html), /Ring oss på 23 06 40 00 \(hverdager kl\. 08\.00–15\.30\), så kan alle saksbehandlere i HK sende deg et førstegangspassord på SMS\./);
    const en = await rp.start(new Browser({ 'accept-language': 'en' }));
    assert.match(textOf(en.page.html), /Call us on 23 06 40 00 \(weekdays 08:00–15:30\), and any HK caseworker/);
    assert.match(en.page.html, /<a href="tel:\+4723064000">/);
  });

  test('without one, no page says "ring oss" or "call us"', async () => {
    const plain = await startIdp();
    try {
      const member = await createMember(plain);
      const app = await registerRp(plain);
      for (const lang of ['nb', 'en']) {
        const b = new Browser({ 'accept-language': lang });
        const { page: login } = await app.start(b);
        const order = await b.go(new URL(/href="([^"]+first-time-password)"/.exec(login.html)![1]!, login.url));
        const sent = await b.submit(order, { member_number: member.memberNumber!, channel: 'sms', mobile: member.mobile! });
        for (const page of [login, order, sent]) {
          assert.doesNotMatch(textOf(page.html), /ring(er)? oss|call us|tel:/i, `${lang} ${page.url}`);
          assert.doesNotMatch(page.html, /href="tel:/);
          assert.match(page.html, /href="mailto:post@hk\.no"/);
        }
      }
    } finally {
      await plain.close();
    }
  });
});

describe('the demo', () => {
  let idp: TestIdp;
  before(async () => (idp = await startIdp({ DEMO: 'true' })));
  after(() => idp.close());

  test('the start prints the demo member’s registered mobile and e-mail, and how ordering and a reset work', () => {
    const line = idp.notices.find((l) => l.includes(DEMO_MEMBER.mobile));
    assert.ok(line, idp.notices.join('\n'));
    assert.ok(line.includes(DEMO_MEMBER.email));
    assert.match(line, /wipes the demo password/);
    assert.match(line, /rm -rf data/);
  });

  test('the demo app’s "third-party app" button leads to the consent page', async () => {
    const b = new Browser();
    const demo = await b.go(`${idp.issuer}/demo`);
    const login = await b.go(linkOn(demo, 'Logg inn i en tredjepartsapp'));
    const consent = await b.submit(login, { identifier: DEMO_MEMBER.memberNumber, password: DEMO_MEMBER.password });
    assert.match(textOf(consent.html), /Demo-tredjepartsapp ber om tilgang/);
    assert.match(textOf(consent.html), /En fast, tilfeldig ID som er den samme hver gang du logger inn\./);
    assert.doesNotMatch(consent.html, /class="cancel"/, 'consent has its own Avbryt');
    const claims = await b.submit(consent, { decision: 'allow' });
    assert.match(textOf(claims.html), /member_number/);
  });
});
