// Cookie attributes and names, and the session's idle and absolute timeouts.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, mock, test } from 'node:test';
import { addClient } from '../../src/clients/clients.ts';
import { createMember } from '../support/accounts.ts';
import { Browser } from '../support/browser.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { CALLBACK, serverWithApp } from '../support/rp.ts';

const PASSWORD = 'fjordtur-til-lofoten';

describe('behind a TLS-terminating proxy (https issuer)', () => {
  let idp: TestIdp;
  before(async () => {
    idp = await startIdp({ ISSUER: 'https://127.0.0.1:{port}', TRUST_PROXY_HOPS: '1' });
  });
  after(() => idp.close());

  test('every cookie is Secure, HttpOnly, SameSite=Lax, with a __Host- or __Secure- name', async () => {
    const { client } = await addClient(idp.db, { name: 'App', login: 'member', firstParty: true, public: true, redirectUris: [CALLBACK] }, { production: false });
    const member = await createMember(idp, { password: PASSWORD });
    const browser = new Browser({ 'x-forwarded-proto': 'https' });
    const base = `http://127.0.0.1:${new URL(idp.issuer).port}`;
    const auth = new URL('/auth', base);
    auth.search = new URLSearchParams({ client_id: client.clientId, response_type: 'code', scope: 'openid', redirect_uri: CALLBACK, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).toString();
    const setCookies: string[] = [];
    let page = await browser.request(auth);
    setCookies.push(...page.headers.getSetCookie());
    page = await browser.request(page.location!.replace(idp.issuer, base));
    const form = await browser.request(page.url, {});
    assert.equal(form.status, 200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.html)![1]!;
    let next = await browser.request(form.url + '/login', { form: { csrf, identifier: member.memberNumber!, password: PASSWORD } });
    setCookies.push(...next.headers.getSetCookie());
    next = await browser.request(next.location!.replace(idp.issuer, base));
    setCookies.push(...next.headers.getSetCookie());
    assert.ok(next.location?.startsWith(CALLBACK), 'signed in');

    const names = new Set(setCookies.map((c) => c.split('=')[0]));
    assert.ok(names.has('__Host-hk_session'), [...names].join(', '));
    assert.ok(names.has('__Secure-hk_interaction'));
    for (const cookie of setCookies.filter((c) => !/expires=Thu, 01 Jan 1970/i.test(c))) {
      assert.match(cookie, /^__(Host|Secure)-/, cookie);
      assert.match(cookie, /; secure/i, cookie);
      assert.match(cookie, /; httponly/i, cookie);
      assert.match(cookie, /; samesite=lax/i, cookie);
      if (cookie.startsWith('__Host-')) {
        assert.match(cookie, /; path=\/(;|$)/, cookie);
        assert.doesNotMatch(cookie, /; domain=/i, cookie);
      }
    }
  });

  test('the scheme is the issuer’s: a forged X-Forwarded-Proto changes no published URL', async () => {
    const discovery = (await (await fetch(`http://127.0.0.1:${new URL(idp.issuer).port}/.well-known/openid-configuration`, { headers: { 'x-forwarded-proto': 'http' } })).json()) as { authorization_endpoint: string };
    assert.equal(discovery.authorization_endpoint, `${idp.issuer}/auth`);
  });

  test('HSTS is sent on https', async () => {
    const response = await fetch(`http://127.0.0.1:${new URL(idp.issuer).port}/.well-known/openid-configuration`, { headers: { 'x-forwarded-proto': 'https' } });
    assert.match(response.headers.get('strict-transport-security') ?? '', /max-age=31536000; includeSubDomains/);
  });
});

describe('session timeouts (defaults: 2 h idle, 12 h absolute)', () => {
  const server = serverWithApp();
  afterEach(() => mock.timers.reset());

  const HOUR = 3600 * 1000;

  async function signedInBrowser(member?: { memberNumber: string | null }): Promise<Browser> {
    member ??= await createMember(server.idp, { password: PASSWORD });
    const browser = new Browser();
    const { page } = await server.rp.start(browser);
    const back = await browser.submit(page, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
    assert.match(back.location ?? '', /[?&]code=/);
    return browser;
  }
  const silent = async (browser: Browser) => (await server.rp.start(browser, { prompt: 'none' })).page.location ?? '';

  test('signing in rotates the session id; the old id no longer signs anyone in', async () => {
    const member = await createMember(server.idp, { password: PASSWORD });
    const browser = await signedInBrowser(member);
    const first = browser.cookies.get('hk_session')!.value;
    const { page } = await server.rp.start(browser, { prompt: 'login' });
    const back = await browser.submit(page, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
    assert.match(back.location ?? '', /[?&]code=/);
    const second = browser.cookies.get('hk_session')!.value;
    assert.notEqual(second, first);
    assert.ok(Buffer.from(second, 'base64url').length >= 16, 'at least 128 bits');

    const replay = new Browser();
    for (const [name, cookie] of browser.cookies) if (name.startsWith('hk_session')) replay.cookies.set(name, cookie);
    replay.cookies.set('hk_session', { ...browser.cookies.get('hk_session')!, value: first });
    assert.match(await silent(replay), /error=login_required/);
  });

  test('a session id without its cookie signature signs no one in (the database alone cannot)', async () => {
    const browser = await signedInBrowser();
    assert.match(await silent(browser), /[?&]code=/);
    const thief = new Browser();
    thief.cookies.set('hk_session', browser.cookies.get('hk_session')!);
    assert.match(await silent(thief), /error=login_required/, 'no signature');
    thief.cookies.set('hk_session.sig', { ...browser.cookies.get('hk_session.sig')!, value: 'forged-signature-AAAAAAAAAAAAAAAAAAAAAAA' });
    assert.match(await silent(thief), /error=login_required/, 'a forged signature');
  });

  test('a sign-in that ends the person’s own sessions (ordering a first-time password) still completes', async () => {
    const member = await createMember(server.idp, { password: PASSWORD, mobile: '98763333' });
    const browser = await signedInBrowser(member);
    // The app asks for a fresh sign-in; the member orders a first-time password, which wipes the old.
    const { page, verifier, state } = await server.rp.start(browser, { prompt: 'login' });
    const form = await browser.go(new URL(/href="([^"]+first-time-password)"/.exec(page.html)![1]!, page.url));
    const sent = await browser.submit(form, { member_number: member.memberNumber!, channel: 'sms', mobile: '98763333' });
    assert.equal(sent.status, 200, 'the usual answer, not "expired"');
    assert.match(sent.url, /first-time-password\/sent$/);
    await server.idp.outbox.deliverDue();
    const password = /\b([a-z2-9]{4} [a-z2-9]{4} [a-z2-9]{4})\b/.exec(server.idp.devOutbox!.find((m) => m.to === '+4798763333')!.text)![1]!;
    const login = await browser.go(new URL(/href="([^"]+first-login)"/.exec(sent.html)?.[1] ?? `${page.url}/first-login`, page.url));
    const credentials = await browser.submit(login, { member_number: member.memberNumber!, password });
    const back = await browser.submit(credentials, { username: `ny.${member.memberNumber}`, password: 'et helt nytt passord', confirmation: 'et helt nytt passord' }, { stopAt: CALLBACK });
    assert.match(back.location ?? '', /[?&]code=/);
    assert.equal((await server.rp.finish(back.location!, verifier, state)).claims()!.sub, member.id);
  });

  test('a session unused for more than the idle timeout has ended', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const browser = await signedInBrowser();
    mock.timers.setTime(Date.now() + 1.5 * HOUR);
    assert.match(await silent(browser), /[?&]code=/, 'still signed in after 1.5 h; the use slides the timeout');
    mock.timers.setTime(Date.now() + 1.5 * HOUR);
    assert.match(await silent(browser), /[?&]code=/, '1.5 h after the last use');
    mock.timers.setTime(Date.now() + 2 * HOUR + 60_000);
    assert.match(await silent(browser), /error=login_required/, 'more than 2 h idle');
  });

  test('however busy, a session ends 12 h after sign-in', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const browser = await signedInBrowser();
    for (let hour = 1.5; hour < 12; hour += 1.5) {
      mock.timers.setTime(Date.now() + 1.5 * HOUR);
      assert.match(await silent(browser), /[?&]code=/, `still signed in at ${hour} h`);
    }
    mock.timers.setTime(Date.now() + 1.5 * HOUR + 60_000); // just past 12 h, though used 1.5 h ago
    assert.match(await silent(browser), /error=login_required/);
  });
});
