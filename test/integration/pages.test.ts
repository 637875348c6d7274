// What every page shares, over HTTP without script: the brand's files, a language switch on every
// page that leads to a GET of the same step (also from pages that answer a POST), "send again" with
// its wait enforced by the server, and our own page where oidc-provider would show its English form.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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

const langOf = (page: Page) => /<html lang="(\w+)">/.exec(page.html)?.[1];

describe('pages', () => {
  let idp: TestIdp;
  let members: Rp;
  let portal: Rp;
  // The server's clock runs `offset` ms ahead.
  let offset = 0;
  before(async () => {
    idp = await startIdp({ BRAND_COLOR: '#005a9c' }, { now: () => Date.now() + offset });
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

  test('ordering the same first-time password twice at once sends one; "send again" waits, then sends', async () => {
    offset = 0;
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
});
