// Bad input gets a clear 4xx page and changes nothing; no request can crash the server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMember } from '../support/accounts.ts';
import { Browser, textOf, type Page } from '../support/browser.ts';
import { serverWithApp } from '../support/rp.ts';

const server = serverWithApp();

/** A fresh login page and the values a real form post would carry. */
async function loginPage(): Promise<{ browser: Browser; page: Page; action: string; csrf: string }> {
  const browser = new Browser();
  const { page } = await server.rp.start(browser);
  const action = new URL(/action="([^"]+)"/.exec(page.html)![1]!, page.url).href;
  return { browser, page, action, csrf: /name="csrf" value="([^"]+)"/.exec(page.html)![1]! };
}

async function post(body: string | Buffer, contentType = 'application/x-www-form-urlencoded') {
  const { browser, action } = await loginPage();
  return browser.request(action, { method: 'POST', body, headers: { 'content-type': contentType } });
}

const assertBadRequest = (page: Page, status = 400) => {
  assert.equal(page.status, status, page.html.slice(0, 200));
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.doesNotMatch(page.html, /at \w+ \(|Error:|SELECT|sqlite|knex/i, 'no internals on the page');
};

test('a 1 MB password is refused before any hashing', async () => {
  const { browser, action } = await loginPage();
  // Every hash finished, running or waiting for a slot.
  const hashes = () => {
    const { done, running, queued } = server.idp.hasher.stats();
    return done + running + queued;
  };
  const before = hashes();
  const page = await browser.request(action, { method: 'POST', body: `identifier=12345&password=${'a'.repeat(1024 * 1024)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assertBadRequest(page, 413);
  // (A sign-in for an unknown member hashes too, to take the time a known one takes.)
  assert.equal(hashes(), before, 'no hash was started');
});

test('a password over 256 characters (inside the body limit) fails like a wrong one, without hashing', async () => {
  const member = await createMember(server.idp, { password: 'fjordtur-til-lofoten' });
  const { browser, page } = await loginPage();
  const result = await browser.submit(page, { identifier: member.memberNumber!, password: 'x'.repeat(300) });
  assert.equal(result.status, 400);
  assert.match(textOf(result.html), /Feil medlemsnummer\/brukernavn eller passord/);
});

test('invalid UTF-8, bad percent-encoding and control characters get a 400 page', async () => {
  assertBadRequest(await post(Buffer.concat([Buffer.from('identifier=12345&password='), Buffer.from([0xff, 0xfe, 0x41])])));
  assertBadRequest(await post('identifier=%FF%FE&password=x'));
  assertBadRequest(await post('identifier=%E2%82&password=x'));
  assertBadRequest(await post('identifier=abc%00def&password=x'));
  assertBadRequest(await post('identifier=abc%1B%5B31m&password=x'));
});

test('wrong content types and nested fields are refused', async () => {
  assertBadRequest(await post('{"identifier":"1","password":"x"}', 'application/json'), 415);
  assertBadRequest(await post('<x/>', 'text/xml'), 415);
  assertBadRequest(await post('identifier[a]=1&password=x'));
  assertBadRequest(await post('identifier=1&identifier=2&password=x'));
});

test('a post without the CSRF token, or with another interaction’s, changes nothing', async () => {
  const member = await createMember(server.idp, { password: 'fjordtur-til-lofoten' });
  const first = await loginPage();
  const second = await loginPage();
  for (const csrf of ['', second.csrf]) {
    const page = await first.browser.request(first.action, { form: { csrf, identifier: member.memberNumber!, password: 'fjordtur-til-lofoten' } });
    assert.equal(page.status, 403);
    assert.match(textOf(page.html), /Skjemaet kunne ikke sendes/);
    assert.equal(page.location, undefined);
  }
  const audit = await server.idp.db('audit_log').where({ event: 'sign_in.succeeded' }).count({ n: '*' });
  assert.equal(Number(audit[0]!.n), 0);
});

test('a post from a browser without the interaction cookie gets the expired page', async () => {
  const { action, csrf } = await loginPage();
  const stranger = new Browser();
  const page = await stranger.request(action, { form: { csrf, identifier: '1', password: 'x' } });
  assert.equal(page.status, 400);
  assert.match(textOf(page.html), /Innloggingen er utløpt/);
});

test('malformed protocol requests and unknown paths never get a 500', async () => {
  const browser = new Browser();
  for (const path of ['/auth?client_id=%FF', '/auth?client_id[]=x', '/interaction/%FF%FE', '/interaction/x/login', '/nope', '/token']) {
    const page = await browser.request(`${server.idp.issuer}${path}`, path === '/token' ? { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } } : {});
    assert.ok(page.status >= 400 && page.status < 500, `${path} gave ${page.status}`);
  }
  const trace = await fetch(`${server.idp.issuer}/`, { method: 'TRACE' }).catch(() => undefined);
  assert.ok(!trace || trace.status >= 400);
  // The server is still up.
  assert.equal((await fetch(`${server.idp.issuer}/.well-known/openid-configuration`)).status, 200);
});
