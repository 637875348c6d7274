// A relying app (openid-client) signs a member in through the real server over HTTP.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { Browser, textOf } from '../support/browser.ts';
import { createMember } from '../support/accounts.ts';
import { CALLBACK, registerRp, type Rp, serverWithApp } from '../support/rp.ts';

const PASSWORD = 'fjordtur-til-lofoten';

describe('member sign-in with openid-client', () => {
  const server = serverWithApp();

  async function signIn(identifier: string, password: string, app: Rp = server.rp) {
    const browser = new Browser();
    const { page, verifier, state } = await app.start(browser);
    assert.equal(page.status, 200);
    assert.match(page.html, /Medlemsnummer eller brukernavn/);
    const result = await browser.submit(page, { identifier, password }, { stopAt: CALLBACK });
    return { browser, result, verifier, state };
  }

  test('discovery advertises the code flow with S256 PKCE only', () => {
    const metadata = server.rp.config.serverMetadata();
    assert.equal(metadata.issuer, server.idp.issuer);
    assert.deepEqual(metadata.response_types_supported, ['code']);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    assert.ok(metadata.scopes_supported?.includes('member'));
  });

  test('by member number: code, ID token, userinfo, refresh, revocation, logout', async () => {
    const member = await createMember(server.idp, { password: PASSWORD, givenName: 'Ola', familyName: 'Nordmann' });
    const { browser, result, verifier, state } = await signIn(member.memberNumber!, PASSWORD);
    assert.ok(result.location?.startsWith(CALLBACK), `expected a redirect to the app, got ${result.status}`);

    const tokens = await server.rp.finish(result.location!, verifier, state);
    const claims = tokens.claims()!;
    assert.equal(claims.sub, member.id);
    assert.notEqual(claims.sub, member.memberNumber, 'sub is opaque, never the member number');
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString());
    assert.equal(header.alg, 'RS256');

    const userinfo = await oidc.fetchUserInfo(server.rp.config, tokens.access_token, claims.sub);
    assert.equal(userinfo.member_number, member.memberNumber);
    assert.equal(userinfo.membership_status, 'active');
    assert.equal(userinfo.name, 'Ola Nordmann');
    assert.equal(userinfo.email, member.email);
    assert.equal(userinfo.phone_number, member.mobile);

    assert.ok(tokens.refresh_token, 'a refresh token is issued');
    const refreshed = await oidc.refreshTokenGrant(server.rp.config, tokens.refresh_token!);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh tokens rotate');
    assert.equal(refreshed.claims()!.sub, member.id);

    await oidc.tokenRevocation(server.rp.config, refreshed.access_token);
    const introspection = await oidc.tokenIntrospection(server.rp.config, refreshed.access_token);
    assert.equal(introspection.active, false, 'a revoked access token is inactive');

    // Logout from a first-party app with its ID token: no second question, straight back to the app
    // (test/integration/backchannel-logout.test.ts has the question for every other case).
    const done = await browser.request(oidc.buildEndSessionUrl(server.rp.config, { id_token_hint: refreshed.id_token ?? tokens.id_token!, post_logout_redirect_uri: 'https://rp.example/bye' }));
    assert.equal(done.status, 303);
    assert.ok(done.location?.startsWith('https://rp.example/bye'));
    // The session is gone: a silent sign-in now needs a login.
    const silent = await server.rp.start(browser, { prompt: 'none' });
    assert.match(silent.page.location ?? '', /error=login_required/);
  });

  test('by username, case-insensitively', async () => {
    const member = await createMember(server.idp, { password: PASSWORD, username: 'Kari.Nordmann' });
    const { result, verifier, state } = await signIn('kari.nordmann', PASSWORD);
    const tokens = await server.rp.finish(result.location!, verifier, state);
    assert.equal(tokens.claims()!.sub, member.id);
  });

  test('wrong password, unknown member and inactive member look the same', async () => {
    const member = await createMember(server.idp, { password: PASSWORD });
    const inactive = await createMember(server.idp, { password: PASSWORD, status: 'inactive' });
    const pages = [
      (await signIn(member.memberNumber!, 'wrong-password-here')).result,
      (await signIn('99999999', PASSWORD)).result,
      (await signIn('no.such.user', PASSWORD)).result,
      (await signIn(inactive.memberNumber!, PASSWORD)).result,
    ];
    for (const page of pages) {
      assert.equal(page.status, 400);
      assert.equal(page.location, undefined, 'no redirect to the app');
      assert.match(textOf(page.html), /Feil medlemsnummer\/brukernavn eller passord\./);
    }
    const normalise = (html: string) => html.replace(/\/interaction\/[\w-]+/g, '').replace(/name="csrf" value="[^"]+"/g, '').replace(/value="[^"]*" autocomplete="username"/, '');
    assert.equal(normalise(pages[0]!.html), normalise(pages[1]!.html));
    assert.equal(normalise(pages[0]!.html), normalise(pages[3]!.html));
  });

  test('a redirect URI that is not registered gets an error page, not a redirect', async () => {
    const browser = new Browser();
    const url = oidc.buildAuthorizationUrl(server.rp.config, { redirect_uri: 'https://evil.example/cb', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
    const page = await browser.go(url);
    assert.equal(page.status, 400);
    assert.equal(page.location, undefined);
    assert.match(page.html, /invalid_redirect_uri/);
  });

  test('an authorization request without PKCE is refused', async () => {
    const browser = new Browser();
    const url = oidc.buildAuthorizationUrl(server.rp.config, { redirect_uri: CALLBACK, scope: 'openid' });
    const page = await browser.request(url);
    assert.match(page.location ?? '', /error=invalid_request/);
    assert.match(decodeURIComponent(page.location ?? "").replace(/\+/g, " "), /requires PKCE/);
  });

  test('an authorization code works once', async () => {
    const member = await createMember(server.idp, { password: PASSWORD });
    const { result, verifier, state } = await signIn(member.memberNumber!, PASSWORD);
    await server.rp.finish(result.location!, verifier, state);
    await assert.rejects(server.rp.finish(result.location!, verifier, state), (error: Error & { error?: string }) => error.error === 'invalid_grant');
  });

  test('a third-party app gets a consent page; a first-party app does not', async () => {
    const thirdParty = await registerRp(server.idp, { name: 'Ekstern app', firstParty: false });
    const member = await createMember(server.idp, { password: PASSWORD });
    const browser = new Browser();
    const { page, verifier, state } = await thirdParty.start(browser);
    const consent = await browser.submit(page, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
    assert.equal(consent.status, 200);
    assert.match(textOf(consent.html), /Ekstern app ber om tilgang/);
    assert.match(textOf(consent.html), /Medlemsnummer og medlemsstatus/);
    const granted = await browser.submit(consent, { decision: 'allow' }, { stopAt: CALLBACK });
    assert.ok(granted.location?.startsWith(CALLBACK));
    const tokens = await thirdParty.finish(granted.location!, verifier, state);
    assert.equal(tokens.claims()!.sub, member.id);

    // The first-party app: straight back to the app after the password.
    const { result } = await signIn(member.memberNumber!, PASSWORD);
    assert.ok(result.location?.startsWith(CALLBACK));
  });

  test('an app registered for ES256 gets ES256-signed ID tokens', async () => {
    const es = await registerRp(server.idp, { name: 'ES-app', idTokenAlg: 'ES256' });
    const member = await createMember(server.idp, { password: PASSWORD });
    const { result, verifier, state } = await signIn(member.memberNumber!, PASSWORD, es);
    const tokens = await es.finish(result.location!, verifier, state);
    assert.equal(JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()).alg, 'ES256');
    assert.equal(tokens.claims()!.sub, member.id);
  });

  test('denying consent sends access_denied to the app', async () => {
    const thirdParty = await registerRp(server.idp, { name: 'Ekstern app 2', firstParty: false });
    const member = await createMember(server.idp, { password: PASSWORD });
    const browser = new Browser();
    const { page } = await thirdParty.start(browser);
    const consent = await browser.submit(page, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
    const denied = await browser.submit(consent, { decision: 'deny' }, { stopAt: CALLBACK });
    assert.match(denied.location ?? '', /error=access_denied/);
  });
});
