// Protocol hardening (RFC 9700): exact redirect URIs, PKCE for every client, codes bound to their
// client, confidential clients authenticate, refresh tokens rotate and reuse revokes the grant.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as oidc from 'openid-client';
import { createMember } from '../support/accounts.ts';
import { Browser } from '../support/browser.ts';
import { CALLBACK, registerRp, type Rp, serverWithApp } from '../support/rp.ts';

const PASSWORD = 'fjordtur-til-lofoten';
const server = serverWithApp();

async function signedIn(app: Rp = server.rp) {
  const member = await createMember(server.idp, { password: PASSWORD });
  const browser = new Browser();
  const { page, verifier, state } = await app.start(browser);
  const back = await browser.submit(page, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
  return { browser, callback: back.location!, verifier, state };
}

const rejectsWith = (promise: Promise<unknown>, code: string) =>
  assert.rejects(promise, (error: Error & { error?: string }) => error.error === code || new RegExp(code).test(error.message));

test('redirect URIs are matched exactly; a mismatch shows an error page and redirects nowhere', async () => {
  const variants = [`${CALLBACK}/`, 'https://RP.example/cb', `${CALLBACK}?x=1`, 'https://rp.example:8443/cb', 'https://rp.example/cb/../x', 'https://rp.example.evil.example/cb', 'http://rp.example/cb'];
  for (const redirect_uri of variants) {
    const url = oidc.buildAuthorizationUrl(server.rp.config, { redirect_uri, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
    const page = await new Browser().request(url);
    assert.equal(page.status, 400, redirect_uri);
    assert.equal(page.location, undefined, redirect_uri);
  }
});

test('only the code flow: token and hybrid response types are refused; the password grant does not exist', async () => {
  for (const response_type of ['token', 'id_token token', 'code id_token']) {
    const url = new URL(`${server.idp.issuer}/auth`);
    url.search = new URLSearchParams({ client_id: server.rp.clientId, response_type, redirect_uri: CALLBACK, scope: 'openid', nonce: 'n', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).toString();
    const page = await new Browser().request(url);
    assert.match(page.location ?? page.html, /unsupported_response_type/, response_type);
  }
  const response = await fetch(`${server.idp.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${server.rp.clientId}:${server.rp.secret}`).toString('base64')}` },
    body: 'grant_type=password&username=1&password=x',
  });
  assert.equal(((await response.json()) as { error: string }).error, 'unsupported_grant_type');
});

test('PKCE: plain is refused and a wrong verifier fails', async () => {
  const url = oidc.buildAuthorizationUrl(server.rp.config, { redirect_uri: CALLBACK, scope: 'openid', code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' });
  assert.match((await new Browser().request(url)).location ?? '', /error=invalid_request/);
  const { callback, state } = await signedIn();
  await rejectsWith(server.rp.finish(callback, oidc.randomPKCECodeVerifier(), state), 'invalid_grant');
});

test('a code is bound to its client', async () => {
  const other = await registerRp(server.idp, { name: 'Annen app' });
  const { callback, verifier, state } = await signedIn();
  await rejectsWith(other.finish(callback, verifier, state), 'invalid_grant');
});

test('confidential clients must authenticate at the token endpoint', async () => {
  const { callback, verifier } = await signedIn();
  const code = new URL(callback).searchParams.get('code')!;
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier, client_id: server.rp.clientId });
  const none = await fetch(`${server.idp.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  assert.equal(((await none.json()) as { error: string }).error, 'invalid_client');
  const wrong = await fetch(`${server.idp.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${server.rp.clientId}:wrong-secret`).toString('base64')}` },
    body,
  });
  assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_client');
});

test('public clients must use PKCE and get no secret', async () => {
  const spa = await registerRp(server.idp, { name: 'SPA', public: true });
  assert.equal(spa.secret, null);
  const { callback, verifier, state } = await signedIn(spa);
  const tokens = await spa.finish(callback, verifier, state);
  assert.ok(tokens.access_token);
});

test('refresh tokens rotate; reusing an old one revokes the whole grant', async () => {
  const { callback, verifier, state } = await signedIn();
  const tokens = await server.rp.finish(callback, verifier, state);
  const second = await oidc.refreshTokenGrant(server.rp.config, tokens.refresh_token!);
  await rejectsWith(oidc.refreshTokenGrant(server.rp.config, tokens.refresh_token!), 'invalid_grant');
  await rejectsWith(oidc.refreshTokenGrant(server.rp.config, second.refresh_token!), 'invalid_grant');
  const introspection = await oidc.tokenIntrospection(server.rp.config, second.access_token);
  assert.equal(introspection.active, false, 'the access tokens of the grant die too');
});

test('an app cannot revoke another app’s tokens', async () => {
  const other = await registerRp(server.idp, { name: 'Tredje app' });
  const { callback, verifier, state } = await signedIn();
  const tokens = await server.rp.finish(callback, verifier, state);
  await oidc.tokenRevocation(other.config, tokens.access_token).catch(() => undefined);
  assert.equal((await oidc.tokenIntrospection(server.rp.config, tokens.access_token)).active, true);
});

test('an authorization code expires after 60 seconds', async (t) => {
  const { callback, verifier, state } = await signedIn();
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 61_000 + 15_000 });
  await rejectsWith(server.rp.finish(callback, verifier, state), 'invalid_grant');
});
