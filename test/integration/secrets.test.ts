// Secrets never reach the logs, the database or the audit log: a run of the main flows with known
// sentinel values (password sign-in, token and refresh, a first-time password ordered and used for a
// first login), then every log line, at every level, and every table is searched for them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { createMember } from '../support/accounts.ts';
import { Browser } from '../support/browser.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { captureLogs } from '../support/logs.ts';
import { CALLBACK, registerRp, type Rp } from '../support/rp.ts';

const PASSWORD = 'Sentinel-PW-fjord-9f3a';
const PEPPER = 'Sentinel-PEPPER-0123456789abcdefghijklmnop';
const COOKIE_KEY = 'Sentinel-COOKIE-0123456789abcdefghijklmnop';
const KEK = 'Sentinel-KEK-0123456789abcdefghijklmnopqrstu';

let idp: TestIdp;
let rp: Rp;
const NEW_PASSWORD = 'Sentinel-NEWPW-lofoten-4c1d';
const logs = captureLogs();
before(async () => {
  idp = await startIdp({ PASSWORD_PEPPER: PEPPER, COOKIE_KEYS: COOKIE_KEY, KEY_ENCRYPTION_KEY: KEK }, { logger: logs.logger });
  rp = await registerRp(idp);
});
after(() => idp.close());

async function everything(): Promise<string> {
  const tables = ['accounts', 'audit_log', 'clients', 'oidc_store', 'outbox', 'signing_keys', 'first_time_passwords', 'one_time_codes', 'counters', 'counter_slices', 'orders', 'backchannel_logouts'];
  const dump = await Promise.all(tables.map(async (table) => JSON.stringify(await idp.db(table).select())));
  return [...dump, ...logs.lines].join('\n');
}

test('passwords, first-time passwords, tokens, client secrets, pepper and keys appear in no log or table', async () => {
  const member = await createMember(idp, { password: PASSWORD, mobile: '98761234' });
  const browser = new Browser();
  const { page } = await rp.start(browser);
  await browser.submit(page, { identifier: member.memberNumber!, password: `${PASSWORD}-wrong` });
  const again = await rp.start(browser);
  const back = await browser.submit(again.page, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
  const tokens = await rp.finish(back.location!, again.verifier, again.state);
  const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);

  // Before the order below wipes them: tokens and the session are stored, but only as hashes.
  const withTokens = await everything();
  assert.ok(Number((await idp.db('oidc_store').where({ model: 'AccessToken' }).count({ n: '*' }))[0]!.n) >= 2);

  // A first-time password ordered and delivered.
  const orderBrowser = new Browser();
  const start = await rp.start(orderBrowser);
  const form = await orderBrowser.go(new URL(/href="([^"]+first-time-password)"/.exec(start.page.html)![1]!, start.page.url));
  await orderBrowser.submit(form, { member_number: member.memberNumber!, channel: 'sms', mobile: '98761234' });
  await idp.outbox.deliverDue();
  const sms = idp.devOutbox!.find((m) => m.to === '+4798761234')!;
  const firstTimePassword = /\b([a-z2-9]{4} [a-z2-9]{4} [a-z2-9]{4})\b/.exec(sms.text)![1]!;

  // The first login with it: a username and a new password chosen, and the app gets its code.
  const firstBrowser = new Browser();
  const first = await rp.start(firstBrowser);
  const firstForm = await firstBrowser.go(new URL(/href="([^"]+)"[^>]*>Jeg har fått nytt passord\/PIN/.exec(first.page.html)![1]!.replace(/&amp;/g, '&'), first.page.url));
  const choose = await firstBrowser.submit(firstForm, { member_number: member.memberNumber!, password: firstTimePassword }, { stopAt: CALLBACK });
  const done = await firstBrowser.submit(choose, { username: 'sentinel.user', password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, { stopAt: CALLBACK });
  assert.ok(done.location?.startsWith(CALLBACK), 'the first login reached the app');
  const firstTokens = await rp.finish(done.location!, first.verifier, first.state);
  // The logs saw every request of it, each with its route and request id.
  const access = logs.records().filter((line) => line.kind === 'access');
  assert.ok(access.length > 20, `access lines: ${access.length}`);
  assert.ok(access.every((line) => typeof line.requestId === 'string' && typeof line.route === 'string' && typeof line.durationMs === 'number'));
  assert.ok(access.some((line) => line.route === '/token' && line.status === 200));

  const haystack = withTokens + (await everything());
  const secrets = {
    PASSWORD,
    PEPPER,
    COOKIE_KEY,
    KEK,
    clientSecret: rp.secret!,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token!,
    newRefreshToken: refreshed.refresh_token!,
    newAccessToken: refreshed.access_token,
    // (The session id is in the database: the cookie is useless without its signature, made with COOKIE_KEY.)
    sessionSignature: browser.cookies.get('hk_session.sig')!.value,
    firstTimePassword,
    firstTimePasswordCompact: firstTimePassword.replace(/ /g, ''),
    NEW_PASSWORD,
    authorizationCode: new URL(back.location!).searchParams.get('code')!,
    firstLoginCode: new URL(done.location!).searchParams.get('code')!,
    codeVerifier: again.verifier,
    firstLoginAccessToken: firstTokens.access_token,
    firstLoginRefreshToken: firstTokens.refresh_token!,
  };
  for (const [name, value] of Object.entries(secrets)) assert.ok(!haystack.includes(value), `${name} found in ${haystack.slice(Math.max(0, haystack.indexOf(value) - 300), haystack.indexOf(value) + 60)}`);
});
