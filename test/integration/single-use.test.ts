// An authorization code is redeemed once and a rotated refresh token is used once, also when the
// same value arrives many times at once (a client retrying, an attacker racing it): exactly one
// request wins, the others get invalid_grant, and the grant is revoked as for a sequential reuse,
// so no token of it works afterwards. Raw HTTP to the token endpoint, so nothing serialises the race.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as oidc from 'openid-client';
import type { Account } from '../../src/accounts/accounts.ts';
import { endEverythingOf } from '../../src/oidc/adapter.ts';
import { createMember } from '../support/accounts.ts';
import { Browser } from '../support/browser.ts';
import { usingPostgres, type TestIdp } from '../support/idp.ts';
import { CALLBACK, instancesWithApp, refreshAt, tokenRequest, userinfoAt, type Rp, type TokenAnswer } from '../support/rp.ts';

const PASSWORD = 'fjordtur-til-lofoten';
const RACERS = 8;

/** Signs a member (a new one by default) in through the pages and returns the code and its PKCE verifier, not yet redeemed. */
async function freshCode(idp: TestIdp, rp: Rp, member?: Account, params?: Record<string, string>): Promise<{ code: string; verifier: string }> {
  member ??= await createMember(idp, { password: PASSWORD });
  const browser = new Browser();
  const { page, verifier } = await rp.start(browser, params);
  let callback = await browser.submit(page, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
  // Asked for with prompt=consent (an offline grant): the member allows it.
  if (!callback.location) callback = await browser.submit(callback, { decision: 'allow' }, { stopAt: CALLBACK });
  const code = new URL(callback.location!).searchParams.get('code')!;
  assert.ok(code, 'the sign-in returned a code');
  return { code, verifier };
}

const redeem = (base: string, rp: Rp, code: { code: string; verifier: string }) =>
  tokenRequest(base, rp, { grant_type: 'authorization_code', code: code.code, code_verifier: code.verifier, redirect_uri: CALLBACK });


const userinfoStatus = async (base: string, accessToken: string) => (await userinfoAt(base, accessToken)).status;

/** Exactly one winner, every other answer invalid_grant, and afterwards no token of the grant works. */
async function assertOneWinnerAndGrantRevoked(idp: TestIdp, rp: Rp, answers: TokenAnswer[], label: string) {
  const winners = answers.filter((a) => a.status === 200);
  const losers = answers.filter((a) => a.status !== 200);
  assert.equal(winners.length, 1, `${label}: exactly one of ${answers.length} parallel requests gets tokens (got ${winners.length})`);
  for (const loser of losers) assert.deepEqual([loser.status, loser.body.error], [400, 'invalid_grant'], `${label}: the others get invalid_grant`);
  const won = winners[0]!.body;
  assert.equal(await userinfoStatus(idp.base, won.access_token!), 401, `${label}: the winner's access token is dead after the race`);
  const again = await refreshAt(idp.base, rp, won.refresh_token!);
  assert.deepEqual([again.status, again.body.error], [400, 'invalid_grant'], `${label}: the winner's refresh token is dead after the race`);
}

function suite(title: string, twoInstances: boolean) {
  describe(title, () => {
    const server = instancesWithApp(twoInstances);
    // Alternate instances, so with two of them the racers really are on different processes' pools.
    const base = (i: number) => (i % 2 ? server.other : server.idp).base;

    test('a sequential second redemption is refused and revokes the grant (the library behaviour we match)', async () => {
      const code = await freshCode(server.idp, server.rp);
      const first = await redeem(server.idp.base, server.rp, code);
      assert.equal(first.status, 200);
      const second = await redeem(server.other.base, server.rp, code);
      assert.deepEqual([second.status, second.body.error], [400, 'invalid_grant']);
      assert.equal(await userinfoStatus(server.idp.base, first.body.access_token!), 401);
    });

    test(`${RACERS} parallel redemptions of one code: one wins, the grant is revoked`, async () => {
      const code = await freshCode(server.idp, server.rp);
      const answers = await Promise.all(Array.from({ length: RACERS }, (_, i) => redeem(base(i), server.rp, code)));
      await assertOneWinnerAndGrantRevoked(server.idp, server.rp, answers, 'code');
    });

    test(`${RACERS} parallel uses of one refresh token: one wins, the grant is revoked`, async () => {
      const tokens = await redeem(server.idp.base, server.rp, await freshCode(server.idp, server.rp));
      assert.equal(tokens.status, 200);
      assert.equal(await userinfoStatus(server.idp.base, tokens.body.access_token!), 200, 'the access token works before the race');
      const answers = await Promise.all(Array.from({ length: RACERS }, (_, i) => refreshAt(base(i), server.rp, tokens.body.refresh_token!)));
      await assertOneWinnerAndGrantRevoked(server.idp, server.rp, answers, 'refresh token');
      assert.equal(await userinfoStatus(server.idp.base, tokens.body.access_token!), 401, 'the first access token of the grant is dead too');
    });

    test(`ending everything of a member while ${RACERS} of its offline grants refresh at once: no token of the member works afterwards`, async () => {
      // Offline grants outlive their sessions: only ending the grants ends their tokens (endEverythingOf
      // reaches the tokens through the grants), also those a refresh in flight writes after the end.
      const member = await createMember(server.idp, { password: PASSWORD });
      const chains = [];
      for (let i = 0; i < RACERS; i++) {
        const code = await freshCode(server.idp, server.rp, member, { scope: 'openid offline_access', prompt: 'consent' });
        const tokens = await redeem(server.idp.base, server.rp, code);
        assert.equal(tokens.status, 200);
        assert.match(tokens.body.scope!, /offline_access/, 'an offline grant');
        chains.push(tokens.body);
      }
      const [answers] = await Promise.all([
        Promise.all(chains.map((tokens, i) => refreshAt(base(i), server.rp, tokens.refresh_token!))),
        endEverythingOf(server.idp.db, member.id, Date.now()),
      ]);
      const issued = [...chains, ...answers.filter((answer) => answer.status === 200).map((answer) => answer.body)];
      for (const [i, tokens] of issued.entries()) {
        assert.equal(await userinfoStatus(base(i), tokens.access_token!), 401, `access token ${i}`);
        const again = await refreshAt(base(i + 1), server.rp, tokens.refresh_token!);
        assert.deepEqual([again.status, again.body.error], [400, 'invalid_grant'], `refresh token ${i}`);
      }
    });

    test('an unraced refresh still rotates (the fix does not refuse the honest client)', async () => {
      const tokens = await redeem(server.idp.base, server.rp, await freshCode(server.idp, server.rp));
      const refreshed = await oidc.refreshTokenGrant(server.rp.config, tokens.body.refresh_token!);
      assert.notEqual(refreshed.refresh_token, tokens.body.refresh_token);
      assert.equal(await userinfoStatus(server.other.base, refreshed.access_token), 200);
    });
  });
}

suite('single use under a crowd (one instance)', false);
// Two processes' worth of connection pools on one PostgreSQL: the row lock, not a process, decides.
describe('two instances on one PostgreSQL', { skip: usingPostgres() ? false : 'TEST_DATABASE_URL is not set' }, () => suite('single use under a crowd (two instances)', true));
