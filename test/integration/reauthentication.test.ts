// The voting app can demand a fresh password before a vote is cast: `prompt=login` and `max_age` are
// honoured inside a live session, and every ID token says when the password was typed (`auth_time`).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Browser, textOf } from '../support/browser.ts';
import { createMember } from '../support/accounts.ts';
import { CALLBACK, serverWithApp } from '../support/rp.ts';

const PASSWORD = 'stemmeseddel-i-postkassa';

describe('a fresh password inside a live session', () => {
  const server = serverWithApp();

  /** Signs a new member in; returns the browser (with its session) and the first ID token's claims. */
  async function signedIn() {
    const member = await createMember(server.idp, { password: PASSWORD });
    const browser = new Browser();
    const { page, verifier, state } = await server.rp.start(browser);
    const result = await browser.submit(page, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
    const claims = (await server.rp.finish(result.location!, verifier, state)).claims()!;
    return { member, browser, claims };
  }

  /**
   * Moves the session's sign-in time back, as if it happened `seconds` ago (the provider counts whole
   * seconds of real time; this stands in for an injected clock).
   */
  async function signedInAgo(accountId: string, seconds: number) {
    const row = await server.idp.db('oidc_store').where({ model: 'Session', account_id: accountId }).first('id', 'payload');
    const payload = JSON.parse(row!.payload);
    payload.loginTs -= seconds;
    await server.idp.db('oidc_store').where({ model: 'Session', id: row!.id }).update({ payload: JSON.stringify(payload) });
    return payload.loginTs as number;
  }

  /** An authorization request in `browser`: either straight back to the app (tokens) or a sign-in page. */
  async function authorize(browser: Browser, params: Record<string, string>) {
    const { page, verifier, state } = await server.rp.start(browser, params);
    if (page.location?.startsWith(CALLBACK)) return { claims: (await server.rp.finish(page.location, verifier, state)).claims()! };
    return { page, verifier, state };
  }

  test('every ID token carries auth_time, the time of the password', async () => {
    const { claims } = await signedIn();
    assert.equal(typeof claims.auth_time, 'number');
    assert.ok(Math.abs(claims.auth_time! - Date.now() / 1000) < 60);
  });

  test('prompt=login asks for the password again although the session is live', async () => {
    const { member, browser } = await signedIn();
    const before = await signedInAgo(member.id, 600);
    // Without prompt=login the live session is enough, and auth_time is the old sign-in.
    const silent = await authorize(browser, { prompt: 'none' });
    assert.equal(silent.claims?.auth_time, before);

    const asked = await authorize(browser, { prompt: 'login' });
    assert.ok(asked.page, 'a sign-in page, not a redirect to the app');
    assert.equal(asked.page.status, 200);
    assert.match(textOf(asked.page.html), /Medlemsnummer eller brukernavn/);
    const wrong = await browser.submit(asked.page, { identifier: member.memberNumber!, password: 'not-the-password-123' }, { stopAt: CALLBACK });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.location, undefined, 'no code for a wrong password');

    const again = await authorize(browser, { prompt: 'login' });
    const done = await browser.submit(again.page!, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
    assert.ok(done.location?.startsWith(CALLBACK));
    const claims = (await server.rp.finish(done.location!, again.verifier!, again.state!)).claims()!;
    assert.equal(claims.sub, member.id);
    assert.ok(claims.auth_time! >= before + 600, 'auth_time is the new password');
  });

  test('max_age: an older sign-in must type the password again, a recent enough one need not', async () => {
    const { member, browser } = await signedIn();
    const before = await signedInAgo(member.id, 600);
    const recentEnough = await authorize(browser, { max_age: '3600' });
    assert.equal(recentEnough.claims?.auth_time, before, 'ten minutes is within an hour: no question');

    const tooOld = await authorize(browser, { max_age: '300' });
    assert.ok(tooOld.page, 'ten minutes is more than five: the password again');
    assert.match(textOf(tooOld.page.html), /Passord/);
    const done = await browser.submit(tooOld.page, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
    const claims = (await server.rp.finish(done.location!, tooOld.verifier!, tooOld.state!)).claims()!;
    assert.ok(claims.auth_time! >= before + 600);
    assert.ok(Date.now() / 1000 - claims.auth_time! <= 300, 'within max_age');
  });
});
