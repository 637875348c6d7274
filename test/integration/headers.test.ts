// Security headers on every response, no caching of pages with forms, the issuer's origin fixed by
// configuration, cookie key rotation, and no secret on an error page.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { createMember } from '../support/accounts.ts';
import { Browser, textOf } from '../support/browser.ts';
import { CALLBACK, registerRp, serverWithApp } from '../support/rp.ts';

const server = serverWithApp({ COOKIE_KEYS: 'old-cookie-key-0123456789abcdefghijklmn' });

function assertHardened(headers: Headers, what: string) {
  const csp = headers.get('content-security-policy') ?? '';
  assert.match(csp, /frame-ancestors 'none'/, what);
  assert.match(csp, /object-src 'none'/, what);
  assert.match(csp, /base-uri 'none'/, what);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, what);
  assert.equal(headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(headers.get('referrer-policy'), 'no-referrer', what);
  assert.equal(headers.get('x-frame-options'), 'DENY', what);
  assert.equal(headers.get('cross-origin-opener-policy'), 'same-origin', what);
  assert.equal(headers.get('x-powered-by'), null, what);
}

test('every kind of response carries the security headers; pages with forms are not cached', async () => {
  const browser = new Browser();
  const { page } = await server.rp.start(browser);
  assertHardened(page.headers, 'login page');
  assert.equal(page.headers.get('cache-control'), 'no-store');
  // Scripts only from files (/static/hk.js); no inline script, no style attributes.
  assert.doesNotMatch(page.html, /<script(?![^>]*\ssrc="\/static\/)|style=/, 'no inline script or style');
  assert.match(page.html, /<script type="module" src="\/static\/hk\.js\?v=[\w-]+"><\/script>/);
  for (const path of ['/.well-known/openid-configuration', '/jwks', '/static/hk.css', '/static/hk.js', '/static/brand.css', '/nope', '/auth?client_id=x']) {
    const response = await browser.request(`${server.idp.issuer}${path}`);
    assertHardened(response.headers, path);
  }
  const error = await browser.request(`${server.idp.issuer}/nope`);
  assert.equal(error.headers.get('cache-control'), 'no-store');
  const token = await fetch(`${server.idp.issuer}/token`, { method: 'POST', body: 'grant_type=authorization_code&code=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(token.headers.get('cache-control'), 'no-store');
});

test('an app endpoint asked with a method it does not have answers 405 with Allow, as JSON, hardened; its own methods reach the provider', async () => {
  const base = server.idp.issuer;
  // Each endpoint, the methods (of those tried) the provider serves, and the Allow header of a refusal.
  const endpoints: [string, string[], string][] = [
    ['/token', ['POST'], 'POST, OPTIONS'],
    ['/me', ['GET', 'POST'], 'GET, HEAD, POST, OPTIONS'],
    ['/jwks', ['GET'], 'GET, HEAD, OPTIONS'],
    ['/token/revocation', ['POST'], 'POST, OPTIONS'],
    ['/token/introspection', ['POST'], 'POST, OPTIONS'],
    ['/.well-known/openid-configuration', ['GET'], 'GET, HEAD, OPTIONS'],
  ];
  for (const [path, served, allow] of endpoints) {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) {
      const response = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: method === 'GET' ? undefined : 'x=1' });
      const what = `${method} ${path}`;
      assertHardened(response.headers, what);
      if (served.includes(method)) {
        // The provider's own answer (a document, or an OAuth error as JSON), never the refusal.
        assert.notEqual(response.status, 405, what);
        assert.match(response.headers.get('content-type') ?? '', /json/, what);
        continue;
      }
      assert.equal(response.status, 405, what);
      assert.equal(response.headers.get('allow'), allow, what);
      assert.equal(response.headers.get('cache-control'), 'no-store', what);
      const body = (await response.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'invalid_request', what);
      assert.match(body.error_description, new RegExp(`^${method} is not allowed`), what);
    }
    // The preflight and HEAD stay the provider's.
    const preflight = await fetch(`${base}${path}`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': served[0]! } });
    assert.equal(preflight.status, 204, `OPTIONS ${path}`);
    if (served.includes('GET')) assert.notEqual((await fetch(`${base}${path}`, { method: 'HEAD' })).status, 405, `HEAD ${path}`);
  }
});

test('every page of every flow carries the headers and is not cached', async () => {
  const portal = await registerRp(server.idp, { name: 'Bedriftsportalen', login: 'business' });
  const pages: string[] = [];
  for (const [app, paths] of [
    [server.rp, ['', '/first-time-password', '/first-login', '/credentials']],
    [portal, ['', '/business/activate', '/business/reset', '/business/password']],
  ] as const) {
    const browser = new Browser();
    const { page } = await app.start(browser);
    for (const path of paths) {
      const shown = await browser.go(`${page.url}${path}`);
      assert.equal(shown.status, 200, `${path} → ${shown.status}`);
      assertHardened(shown.headers, shown.url);
      assert.equal(shown.headers.get('cache-control'), 'no-store', shown.url);
      assert.doesNotMatch(shown.html, /<script(?![^>]*\ssrc="\/static\/)|style=/, `${shown.url}: no inline script or style`);
      pages.push(shown.url);
    }
  }
  assert.ok(pages.length >= 8);
});

test('a forged Host or X-Forwarded-Host never reaches the URLs the provider publishes', async () => {
  const port = new URL(server.idp.issuer).port;
  const body: string = await new Promise((resolve, reject) =>
    request({ host: '127.0.0.1', port, path: '/.well-known/openid-configuration', headers: { host: 'evil.example', 'x-forwarded-host': 'evil2.example' } }, (res) => {
      let data = '';
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => resolve(data));
    }).on('error', reject).end(),
  );
  assert.doesNotMatch(body, /evil/);
  assert.equal(JSON.parse(body).authorization_endpoint, `${server.idp.issuer}/auth`);
});

test('cookie keys rotate: a cookie signed with the previous key still works, the newest key signs', async () => {
  const member = await createMember(server.idp, { password: 'fjordtur-til-lofoten' });
  const browser = new Browser();
  const { page, verifier, state } = await server.rp.start(browser);
  const oldSignature = browser.cookies.get('hk_interaction.sig')?.value;
  assert.ok(oldSignature);

  // Rotation: a new key is prepended, the old one kept for cookies already out there.
  server.idp = await server.idp.restart({ cookieKeys: ['new-cookie-key-0123456789abcdefghijklmn', 'old-cookie-key-0123456789abcdefghijklmn'] });
  const back = await browser.submit(page, { identifier: member.memberNumber!, password: 'fjordtur-til-lofoten' }, { stopAt: CALLBACK });
  assert.ok(back.location?.startsWith(CALLBACK), 'the interaction begun under the old key completes');
  await server.rp.finish(back.location!, verifier, state);
  const sessionSignature = browser.cookies.get('hk_session.sig')?.value;
  assert.ok(sessionSignature, 'the session cookie is signed');

  // Once the old key is dropped, the cookie it signed is no longer accepted.
  const late = new Browser();
  const started = await server.rp.start(late);
  server.idp = await server.idp.restart({ cookieKeys: ['newest-cookie-key-0123456789abcdefghijkl'] });
  const expired = await late.submit(started.page, { identifier: member.memberNumber!, password: 'fjordtur-til-lofoten' }, { stopAt: CALLBACK });
  assert.equal(expired.location, undefined);
  assert.match(textOf(expired.html), /Innloggingen er utløpt|Skjemaet kunne ikke sendes/);
});

test('error pages never show what was typed', async () => {
  const browser = new Browser();
  const { page } = await server.rp.start(browser);
  const action = new URL(/action="([^"]+)"/.exec(page.html)![1]!, page.url).href;
  const refused = await browser.request(action, { form: { csrf: 'forged', identifier: '12345678', password: 'Sentinel-PW-7f3a9' } });
  assert.equal(refused.status, 403);
  assert.doesNotMatch(refused.html, /Sentinel-PW|12345678/);
  const failed = await browser.submit(page, { identifier: '12345678', password: 'Sentinel-PW-7f3a9' });
  assert.doesNotMatch(failed.html, /Sentinel-PW/);
  assert.match(textOf(failed.html), /Feil medlemsnummer/);
  const rows = JSON.stringify(await server.idp.db('audit_log').select());
  assert.doesNotMatch(rows, /Sentinel-PW/);
});
