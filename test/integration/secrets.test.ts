// Secrets never reach the logs, the database or the audit log: a run of the main flows with known
// sentinel values, then every log line and every table is searched for them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { createMember } from '../support/accounts.ts';
import { Browser } from '../support/browser.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { CALLBACK, registerRp, type Rp } from '../support/rp.ts';

const PASSWORD = 'Sentinel-PW-fjord-9f3a';
const PEPPER = 'Sentinel-PEPPER-0123456789abcdefghijklmnop';
const COOKIE_KEY = 'Sentinel-COOKIE-0123456789abcdefghijklmnop';
const KEK = 'Sentinel-KEK-0123456789abcdefghijklmnopqrstu';

let idp: TestIdp;
let rp: Rp;
const logs: string[] = [];
before(async () => {
  idp = await startIdp({ PASSWORD_PEPPER: PEPPER, COOKIE_KEYS: COOKIE_KEY, KEY_ENCRYPTION_KEY: KEK }, { log: (message, error) => logs.push(`${message} ${error instanceof Error ? error.stack : String(error ?? '')}`) });
  rp = await registerRp(idp);
});
after(() => idp.close());

async function everything(): Promise<string> {
  const tables = ['accounts', 'audit_log', 'clients', 'oidc_store', 'outbox', 'signing_keys', 'first_time_passwords', 'one_time_codes', 'counters', 'counter_slices'];
  const dump = await Promise.all(tables.map(async (table) => JSON.stringify(await idp.db(table).select())));
  return [...dump, ...logs].join('\n');
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
  };
  for (const [name, value] of Object.entries(secrets)) assert.ok(!haystack.includes(value), `${name} found in ${haystack.slice(Math.max(0, haystack.indexOf(value) - 300), haystack.indexOf(value) + 60)}`);
});
