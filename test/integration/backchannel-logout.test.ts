// OpenID Connect Back-Channel Logout over HTTP: apps with a back-channel endpoint (a real HTTP server
// in the test) receive a valid logout token for every way a session ends, later and durably (an app
// that is down gets it when it is back), exactly once however many instances deliver.
import assert from 'node:assert/strict';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { latestAudit } from '../../src/audit/audit.ts';
import { setBusinessPassword } from '../../src/accounts/business-users.ts';
import { runCli } from '../../src/cli/run.ts';
import { purgesNamed, runPurge } from '../../src/maintenance/purge.ts';
import { endEverythingOf } from '../../src/oidc/adapter.ts';
import { endSession, listSessions } from '../../src/oidc/backchannel.ts';
import { endExpiredSessions } from '../../src/oidc/backchannel-queue.ts';
import { Browser, decode, textOf, type Page } from '../support/browser.ts';
import { createBusinessUser, createMember } from '../support/accounts.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { CALLBACK, registerRp, type Rp } from '../support/rp.ts';

const PASSWORD = 'fjordtur-til-lofoten';
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** The apps' back-channel logout endpoints: one HTTP server, one path per app. It can fail or be down. */
class AppEndpoints {
  /** Logout tokens answered with 200, by path. */
  readonly received: { path: string; token: string }[] = [];
  /** Every POST that reached the server, whatever it answered. */
  posts = 0;
  status = 200;
  private server?: Server;
  private port = 0;

  uri(path: string) {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        this.posts++;
        const token = new URLSearchParams(body).get('logout_token');
        if (this.status === 200 && req.method === 'POST' && req.headers['content-type'] === 'application/x-www-form-urlencoded' && token) {
          this.received.push({ path: req.url!, token });
        }
        res.statusCode = this.status;
        res.setHeader('cache-control', 'no-store');
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** The tokens received for one account (by `sub`), decoded and verified. */
  async tokensFor(idp: TestIdp, sub: string) {
    const verified = await Promise.all(this.received.map(async ({ path, token }) => ({ path, ...(await verifyLogoutToken(idp, token)) })));
    return verified.filter((t) => t.payload.sub === sub);
  }
}

const part = (segment: string) => JSON.parse(Buffer.from(segment, 'base64url').toString()) as Record<string, any>;

/** Verifies a logout token's signature against the provider's published keys (/jwks); returns header and claims. */
async function verifyLogoutToken(idp: TestIdp, token: string) {
  const [h, p, s] = token.split('.') as [string, string, string];
  const header = part(h);
  const payload = part(p);
  const jwks = (await (await fetch(`${idp.issuer}/jwks`)).json()) as { keys: (Record<string, unknown> & { kid: string })[] };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, 'signed with a published key');
  const key: KeyObject = createPublicKey({ key: jwk, format: 'jwk' });
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), header.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, Buffer.from(s, 'base64url'));
  assert.ok(ok, 'the signature verifies');
  return { header, payload };
}

/** What OIDC Back-Channel Logout 1.0 §2.4 requires of a logout token for this app. */
function assertValidLogoutToken(idp: TestIdp, token: { header: Record<string, any>; payload: Record<string, any> }, clientId: string) {
  const { header, payload } = token;
  assert.equal(header.alg, 'RS256');
  assert.equal(header.typ, 'logout+jwt');
  assert.equal(payload.iss, idp.issuer);
  assert.equal(payload.aud, clientId);
  assert.deepEqual(payload.events, { [BACKCHANNEL_EVENT]: {} });
  assert.equal(typeof payload.iat, 'number');
  assert.equal(typeof payload.jti, 'string');
  assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 60, 'issued when sent');
  assert.equal(payload.nonce, undefined, 'a logout token has no nonce');
}

async function signIn(rp: Rp, identifier: string, password: string, browser = new Browser(), params: Record<string, string> = {}) {
  const { page, verifier, state } = await rp.start(browser, params);
  // A browser already signed in goes straight back to the app.
  const result = page.location?.startsWith(CALLBACK)
    ? page
    : await browser.submit(page, identifier.includes('@') ? { email: identifier, password } : { identifier, password }, { stopAt: CALLBACK });
  assert.ok(result.location?.startsWith(CALLBACK), `expected the app's callback, got ${result.status}: ${textOf(result.html).slice(0, 300)}`);
  const tokens = await rp.finish(result.location!, verifier, state);
  return { browser, tokens, claims: tokens.claims()! };
}

const notifications = (idp: TestIdp, accountId: string) => idp.db('backchannel_logouts').where({ account_id: accountId }).orderBy('id');

/** A server with a clock the test moves, workers driven by the test, and three member apps. */
function serverWithApps(env: Record<string, string> = {}) {
  const s = {
    offset: 0,
    endpoints: new AppEndpoints(),
  } as { offset: number; endpoints: AppEndpoints; idp: TestIdp; voting: Rp; site: Rp; quiet: Rp };
  before(async () => {
    await s.endpoints.up();
    s.idp = await startIdp(env, { outboxIntervalMs: 0, now: () => Date.now() + s.offset });
    // The voting app wants `sid` in its logout tokens; the member site takes `sub` only; a third app has no endpoint.
    s.voting = await registerRp(s.idp, { name: 'Uravstemning', backchannelLogoutUri: s.endpoints.uri('/voting'), backchannelLogoutSessionRequired: true });
    s.site = await registerRp(s.idp, { name: 'Medlemssiden', backchannelLogoutUri: s.endpoints.uri('/site') });
    s.quiet = await registerRp(s.idp, { name: 'Uten endepunkt' });
  });
  after(async () => {
    await s.idp.close();
    await s.endpoints.down();
  });
  return s;
}

describe('back-channel logout: every way a session ends', () => {
  const s = serverWithApps();

  /** A member signed in to the voting app and the member site in one browser. */
  async function memberInBothApps() {
    const member = await createMember(s.idp, { password: PASSWORD });
    const voting = await signIn(s.voting, member.memberNumber!, PASSWORD);
    const site = await signIn(s.site, member.memberNumber!, PASSWORD, voting.browser);
    await signIn(s.quiet, member.memberNumber!, PASSWORD, voting.browser);
    return { member, browser: voting.browser, voting, site };
  }

  /** Nothing reaches the apps during the request; the worker delivers; each app gets one valid token. */
  async function assertBothAppsTold(member: { id: string }, voting: { claims: oidc.IDToken }, reason: string) {
    assert.equal((await s.endpoints.tokensFor(s.idp, member.id)).length, 0, 'nothing is sent inside the request');
    const queued = await notifications(s.idp, member.id);
    assert.deepEqual(queued.map((n) => [n.client_id, n.reason, n.status]).sort(), [
      [s.site.clientId, reason, 'pending'],
      [s.voting.clientId, reason, 'pending'],
    ].sort());
    await s.idp.backchannel.deliverDue();
    const tokens = await s.endpoints.tokensFor(s.idp, member.id);
    assert.equal(tokens.length, 2, 'one token per app that listens, none for the app without an endpoint');
    const toVoting = tokens.find((t) => t.path === '/voting')!;
    const toSite = tokens.find((t) => t.path === '/site')!;
    assertValidLogoutToken(s.idp, toVoting, s.voting.clientId);
    assertValidLogoutToken(s.idp, toSite, s.site.clientId);
    assert.equal(typeof voting.claims.sid, 'string', 'the ID token carries sid');
    assert.equal(toVoting.payload.sid, voting.claims.sid, 'sid of the session the app knows (session required)');
    assert.equal(toSite.payload.sid, undefined, 'sub only for an app that does not require the session');
    assert.deepEqual((await notifications(s.idp, member.id)).map((n) => n.status), ['sent', 'sent']);
    const sent = await latestAudit(s.idp.db, 10, { accountId: member.id, event: 'backchannel_logout.sent' });
    assert.equal(sent.length, 2);
    assert.equal(sent[0]!.detail.reason, reason);
    // Delivered once: another run sends nothing more.
    await s.idp.backchannel.deliverDue();
    assert.equal((await s.endpoints.tokensFor(s.idp, member.id)).length, 2);
  }

  test('discovery advertises back-channel logout with sessions; ID tokens carry sid and auth_time', async () => {
    const metadata = s.voting.config.serverMetadata();
    assert.equal(metadata.backchannel_logout_supported, true);
    assert.equal(metadata.backchannel_logout_session_supported, true);
    const member = await createMember(s.idp, { password: PASSWORD });
    const { claims } = await signIn(s.site, member.memberNumber!, PASSWORD);
    assert.equal(typeof claims.sid, 'string', 'sid also for an app that does not require it');
    assert.equal(typeof claims.auth_time, 'number');
  });

  test('the member signs out on hk-idp’s page (confirmed)', async () => {
    const { member, browser, voting } = await memberInBothApps();
    const ask = await browser.go(`${s.idp.issuer}/session/end?client_id=${s.quiet.clientId}`);
    assert.match(textOf(ask.html), /Vil du logge ut\?/);
    const done = await browser.submit(ask, { logout: 'yes' });
    assert.match(textOf(done.html), /Du er logget ut/);
    const [ended] = await latestAudit(s.idp.db, 1, { accountId: member.id, event: 'session.ended' });
    assert.deepEqual(ended!.detail, { reason: 'logout', everywhere: true });
    assert.equal(ended!.clientId, s.quiet.clientId);
    await assertBothAppsTold(member, voting, 'logout');
  });

  test('"Nei, bli innlogget" ends only the asking app’s part: only that app is told', async () => {
    const { member, browser } = await memberInBothApps();
    const ask = await browser.go(`${s.idp.issuer}/session/end?client_id=${s.voting.clientId}`);
    await browser.submit(ask, {});
    await s.idp.backchannel.deliverDue();
    const tokens = await s.endpoints.tokensFor(s.idp, member.id);
    assert.deepEqual(tokens.map((t) => t.path), ['/voting']);
    // The session itself lives on for the other apps.
    assert.ok((await s.site.start(browser, { prompt: 'none' })).page.location?.startsWith(CALLBACK));
  });

  test('a first-party app with id_token_hint: no second question, signed out and sent back', async () => {
    const { member, browser, voting } = await memberInBothApps();
    const url = oidc.buildEndSessionUrl(s.voting.config, { id_token_hint: voting.tokens.id_token!, post_logout_redirect_uri: 'https://rp.example/bye', state: 'st8' });
    const answer = await browser.request(url);
    assert.equal(answer.status, 303);
    assert.equal(answer.location, 'https://rp.example/bye?state=st8');
    assert.doesNotMatch(answer.html, /Vil du logge ut/);
    assert.deepEqual([...browser.cookies.keys()].filter((name) => name.startsWith('hk_session')), [], 'the session cookie is cleared');
    // The session and the app's tokens are gone.
    assert.match((await s.voting.start(browser, { prompt: 'none' })).page.location ?? '', /error=login_required/);
    await assert.rejects(oidc.refreshTokenGrant(s.voting.config, voting.tokens.refresh_token!), (error: Error & { error?: string }) => error.error === 'invalid_grant');
    const [ended] = await latestAudit(s.idp.db, 1, { accountId: member.id, event: 'session.ended' });
    assert.equal(ended!.detail.reason, 'logout');
    assert.equal(ended!.clientId, s.voting.clientId);
    assert.equal(ended!.ip, '127.0.0.1');
    await assertBothAppsTold(member, voting, 'logout');
  });

  test('a first-party app’s logout from a browser already signed out goes straight back', async () => {
    const member = await createMember(s.idp, { password: PASSWORD });
    const { tokens } = await signIn(s.voting, member.memberNumber!, PASSWORD);
    const elsewhere = new Browser();
    const answer = await elsewhere.request(oidc.buildEndSessionUrl(s.voting.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://rp.example/bye', state: 'x1' }));
    assert.equal(answer.status, 303);
    assert.equal(answer.location, 'https://rp.example/bye?state=x1');
    // Without a hint the page says so and offers to go on (nothing to confirm, nothing ended).
    const bare = await elsewhere.request(`${s.idp.issuer}/session/end?client_id=${s.voting.clientId}`);
    assert.equal(bare.status, 200);
    assert.match(textOf(bare.html), /Du er allerede logget ut/);
  });

  test('id_token_hint of another session, or from a third-party app, still asks', async () => {
    const member = await createMember(s.idp, { password: PASSWORD });
    const old = await signIn(s.voting, member.memberNumber!, PASSWORD);
    const { browser } = await signIn(s.voting, member.memberNumber!, PASSWORD);
    const stale = await browser.go(oidc.buildEndSessionUrl(s.voting.config, { id_token_hint: old.tokens.id_token!, post_logout_redirect_uri: 'https://rp.example/bye' }));
    assert.match(textOf(stale.html), /Vil du logge ut\?/, 'an ID token from another browser’s session');

    const external = await registerRp(s.idp, { name: 'Ekstern', firstParty: false });
    const { page, verifier, state } = await external.start(browser);
    const granted = await browser.submit(page, { decision: 'allow' }, { stopAt: CALLBACK });
    const tokens = await external.finish(granted.location!, verifier, state);
    const asked = await browser.go(oidc.buildEndSessionUrl(external.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://rp.example/bye' }));
    assert.match(textOf(asked.html), /Vil du logge ut\?/, 'a third-party app’s hint');
    assert.ok((await s.voting.start(browser, { prompt: 'none' })).page.location?.startsWith(CALLBACK), 'still signed in');
  });

  test('ordering a first-time password (WIPE_CREDENTIALS=on-order) ends the sessions: the apps are told', async () => {
    const { member, browser, voting } = await memberInBothApps();
    await orderFirstTimePassword(s.idp, s.voting, member);
    assert.match((await s.voting.start(browser, { prompt: 'none' })).page.location ?? '', /error=login_required/);
    await assertBothAppsTold(member, voting, 'account');
  });

  test('a staff member ends one session: its apps are told, the person’s other session stays', async () => {
    const { member, browser, voting } = await memberInBothApps();
    const other = await signIn(s.voting, member.memberNumber!, PASSWORD);
    const sessions = await listSessions(s.idp.db, member.id, Date.now() + s.offset);
    assert.equal(sessions.length, 2);
    const target = sessions.find((x) => x.clients.length === 3)!;
    assert.deepEqual(target.clients.sort(), [s.voting.clientId, s.site.clientId, s.quiet.clientId].sort());

    // Two staff members click at once: the session ends once and the apps hear it once.
    const results = await Promise.all([1, 2, 3].map((n) => endSession(s.idp.db, target.uid, { reason: 'staff', actor: `staff:${n}` }, Date.now())));
    assert.deepEqual(results.filter(Boolean).length, 1);
    assert.match((await s.voting.start(browser, { prompt: 'none' })).page.location ?? '', /error=login_required/);
    await assert.rejects(oidc.refreshTokenGrant(s.voting.config, voting.tokens.refresh_token!), (error: Error & { error?: string }) => error.error === 'invalid_grant');
    assert.ok((await s.voting.start(other.browser, { prompt: 'none' })).page.location?.startsWith(CALLBACK), 'the other session lives');
    const [ended] = await latestAudit(s.idp.db, 1, { accountId: member.id, event: 'session.ended' });
    assert.equal(ended!.detail.reason, 'staff');
    assert.match(String(ended!.actor), /^staff:\d$/);
    await assertBothAppsTold(member, voting, 'staff');
    assert.equal(await endSession(s.idp.db, 'no-such-session', { reason: 'staff' }, Date.now()), false);
  });

  test('"end everything" of one member three times at once: each app is told once', async () => {
    const { member, voting } = await memberInBothApps();
    // A caseworker clicking twice while the member resets the password: each session's delete is the
    // claim, so the apps are told once whichever end gets there first.
    await Promise.all([1, 2, 3].map(() => endEverythingOf(s.idp.db, member.id, Date.now() + s.offset)));
    await assertBothAppsTold(member, voting, 'account');
  });

  test('an app that is down gets the token once it is back (back-off, no sleeping)', async () => {
    const { member, browser, voting } = await memberInBothApps();
    await s.endpoints.down();
    try {
      const ask = await browser.go(`${s.idp.issuer}/session/end?client_id=${s.quiet.clientId}`);
      const done = await browser.submit(ask, { logout: 'yes' });
      assert.equal(done.status, 200, 'the logout answers although the apps are down');
      // The server's clock before and after the pass: each retry is 5 s after its attempt, in between.
      const before = Date.now() + s.offset;
      await s.idp.backchannel.deliverDue();
      const after = Date.now() + s.offset;
      let rows = await notifications(s.idp, member.id);
      assert.deepEqual(rows.map((r) => [r.status, Number(r.attempts)]), [['pending', 1], ['pending', 1]]);
      assert.ok(rows.every((r) => r.last_error && Number(r.next_attempt_at) >= before + 5000 && Number(r.next_attempt_at) <= after + 5000), 'retried in 5 s');
      const [attempt] = await latestAudit(s.idp.db, 1, { accountId: member.id, event: 'backchannel_logout.attempt' });
      assert.equal(attempt!.detail.outcome, 'temporary');
      // Not due yet: nothing is tried.
      await s.idp.backchannel.deliverDue();
      assert.deepEqual((await notifications(s.idp, member.id)).map((r) => Number(r.attempts)), [1, 1]);
    } finally {
      await s.endpoints.up();
    }
    s.offset += 5_000;
    await s.idp.backchannel.deliverDue();
    const rows = await notifications(s.idp, member.id);
    assert.deepEqual(rows.map((r) => [r.status, Number(r.attempts)]), [['sent', 2], ['sent', 2]]);
    const tokens = await s.endpoints.tokensFor(s.idp, member.id);
    assert.equal(tokens.length, 2);
    assertValidLogoutToken(s.idp, tokens.find((t) => t.path === '/voting')!, s.voting.clientId);
    assert.equal(tokens.find((t) => t.path === '/voting')!.payload.sid, voting.claims.sid);
  });

  test('5xx is retried with growing waits; 4xx is final and audited', async () => {
    const { member, browser } = await memberInBothApps();
    s.endpoints.status = 503;
    try {
      const ask = await browser.go(`${s.idp.issuer}/session/end?client_id=${s.quiet.clientId}`);
      await browser.submit(ask, { logout: 'yes' });
      await s.idp.backchannel.deliverDue();
      s.offset += 5_000;
      const before = Date.now() + s.offset;
      await s.idp.backchannel.deliverDue();
      const after = Date.now() + s.offset;
      const rows = await notifications(s.idp, member.id);
      assert.deepEqual(rows.map((r) => [r.status, Number(r.attempts)]), [['pending', 2], ['pending', 2]]);
      // 10 s after the attempt, which the server made between `before` and `after` by its clock.
      const nexts = rows.map((r) => Number(r.next_attempt_at));
      assert.ok(nexts.every((next) => next >= before + 10_000 && next <= after + 10_000), `the second wait is 10 s: ${nexts.map((next) => next - before)}`);
      assert.match(rows[0]!.last_error!, /503/);
    } finally {
      s.endpoints.status = 200;
    }
    s.offset += 10_000;
    await s.idp.backchannel.deliverDue();
    assert.equal((await s.endpoints.tokensFor(s.idp, member.id)).length, 2);

    const refused = await memberInBothApps();
    s.endpoints.status = 400;
    try {
      const ask = await refused.browser.go(`${s.idp.issuer}/session/end?client_id=${s.quiet.clientId}`);
      await refused.browser.submit(ask, { logout: 'yes' });
      await s.idp.backchannel.deliverDue();
    } finally {
      s.endpoints.status = 200;
    }
    s.offset += 60_000;
    await s.idp.backchannel.deliverDue();
    assert.deepEqual((await notifications(s.idp, refused.member.id)).map((r) => [r.status, Number(r.attempts)]), [['failed', 1], ['failed', 1]]);
    const [failed] = await latestAudit(s.idp.db, 1, { accountId: refused.member.id, event: 'backchannel_logout.failed' });
    assert.match(String(failed!.detail.error), /400/);
  });

  test('an app removed meanwhile is not called; an app down for more than 24 hours is given up on, audited', async () => {
    const gone = await registerRp(s.idp, { name: 'Nedlagt', backchannelLogoutUri: s.endpoints.uri('/gone') });
    const member = await createMember(s.idp, { password: PASSWORD });
    const { browser } = await signIn(gone, member.memberNumber!, PASSWORD);
    await signIn(s.voting, member.memberNumber!, PASSWORD, browser);
    await s.endpoints.down();
    try {
      const ask = await browser.go(`${s.idp.issuer}/session/end?client_id=${s.voting.clientId}`);
      await browser.submit(ask, { logout: 'yes' });
      await runCli(['clients', 'remove', gone.clientId], { db: s.idp.db, settings: s.idp.settings, out: () => {}, err: () => {} });
      await s.idp.backchannel.deliverDue();
      const byApp = Object.fromEntries((await notifications(s.idp, member.id)).map((n) => [n.client_id, n.status]));
      assert.deepEqual(byApp, { [gone.clientId]: 'failed', [s.voting.clientId]: 'pending' });
      s.offset += 24 * 3600_000;
      await s.idp.backchannel.deliverDue();
    } finally {
      await s.endpoints.up();
    }
    const voting = (await notifications(s.idp, member.id)).find((n) => n.client_id === s.voting.clientId)!;
    assert.equal(voting.status, 'expired');
    const [expired] = await latestAudit(s.idp.db, 1, { accountId: member.id, event: 'backchannel_logout.expired' });
    assert.equal(expired!.clientId, s.voting.clientId);
    await s.idp.backchannel.deliverDue();
    assert.equal((await s.endpoints.tokensFor(s.idp, member.id)).length, 0);
  });

  test('an app that has just moved its endpoint is told at the new one, never the old', async () => {
    const moving = await registerRp(s.idp, { name: 'Flytter', backchannelLogoutUri: s.endpoints.uri('/old') });
    const member = await createMember(s.idp, { password: PASSWORD });
    const { browser } = await signIn(moving, member.memberNumber!, PASSWORD);
    // The provider has the app in its client cache with the old endpoint; then the app moves.
    await runCli(['clients', 'update', moving.clientId, '--backchannel-logout-uri', s.endpoints.uri('/new')], { db: s.idp.db, settings: s.idp.settings, out: () => {}, err: () => {} });
    const ask = await browser.go(`${s.idp.issuer}/session/end?client_id=${moving.clientId}`);
    await browser.submit(ask, { logout: 'yes' });
    await s.idp.backchannel.deliverDue();
    s.offset += 3600_000;
    await s.idp.backchannel.deliverDue();
    const tokens = await s.endpoints.tokensFor(s.idp, member.id);
    assert.deepEqual(tokens.map((t) => t.path), ['/new']);
  });

  test('two instances deliver many notifications, each exactly once', async () => {
    const members = await Promise.all(Array.from({ length: 6 }, () => memberInBothApps()));
    for (const { member } of members) await endEverythingOf(s.idp.db, member.id, Date.now() + s.offset);
    const posts = s.endpoints.posts;
    const second = await s.idp.another();
    await Promise.all([s.idp.backchannel.deliverDue(), second.backchannel.deliverDue(), s.idp.backchannel.deliverDue(), second.backchannel.deliverDue()]);
    assert.equal(s.endpoints.posts - posts, 12, 'one POST per app and member');
    for (const { member } of members) assert.equal((await s.endpoints.tokensFor(s.idp, member.id)).length, 2);
  });
});

/** The order form ("Jeg vil ha eller har glemt passord") with the member's registered mobile, over HTTP. */
async function orderFirstTimePassword(idp: TestIdp, rp: Rp, member: { memberNumber: string | null; mobile: string | null }) {
  const browser = new Browser();
  const { page } = await rp.start(browser);
  const form = await browser.go(linkOn(page, 'Jeg vil ha eller har glemt passord'));
  const answer = await browser.submit(form, { member_number: member.memberNumber!, channel: 'sms', mobile: member.mobile! }, { action: /first-time-password$/, stopAt: idp.issuer });
  assert.ok(answer.status < 400, `the order was taken: ${answer.status}`);
  // However ordering is processed (now or by a worker), it is done when the outbox has run.
  await idp.outbox.deliverDue();
}

function linkOn(page: Page, text: string) {
  const match = [...page.html.matchAll(/<a [^>]*href="([^"]+)"[^>]*>([^<]*)<\/a>/g)].find((m) => decode(m[2]!) === text);
  assert.ok(match, `no link "${text}" on the page`);
  return new URL(decode(match[1]!), page.url);
}

describe('back-channel logout when a first-time password is used (WIPE_CREDENTIALS=on-use)', () => {
  const s = serverWithApps({ WIPE_CREDENTIALS: 'on-use' });

  test('the first use wipes the old credentials and ends the sessions: the apps are told', async () => {
    const member = await createMember(s.idp, { password: PASSWORD });
    const voting = await signIn(s.voting, member.memberNumber!, PASSWORD);
    await orderFirstTimePassword(s.idp, s.voting, member);
    assert.equal((await notifications(s.idp, member.id)).length, 0, 'ordering alone ends nothing (on-use)');
    const message = s.idp.devOutbox!.find((m) => m.to === member.mobile)!;
    const password = /\b([a-z2-9]{4} [a-z2-9]{4} [a-z2-9]{4})\b/.exec(message.text)![1]!;

    const browser = new Browser();
    const { page } = await s.voting.start(browser);
    const form = await browser.go(linkOn(page, 'Jeg har fått nytt passord/PIN'));
    s.offset = -120_000; // the server's clock, not the wall clock, stamps the notification
    await browser.submit(form, { member_number: member.memberNumber!, password }, { stopAt: CALLBACK });
    s.offset = 0;
    assert.deepEqual((await notifications(s.idp, member.id)).map((n) => [n.client_id, n.reason]), [[s.voting.clientId, 'account']]);
    assert.ok(Number((await notifications(s.idp, member.id))[0]!.created_at) < Date.now() - 100_000);
    await s.idp.backchannel.deliverDue();
    const [token] = await s.endpoints.tokensFor(s.idp, member.id);
    assertValidLogoutToken(s.idp, token!, s.voting.clientId);
    assert.equal(token!.payload.sid, voting.claims.sid);
  });
});

describe('back-channel logout for business users', () => {
  const s = serverWithApps();
  let portal: Rp;
  before(async () => {
    portal = await registerRp(s.idp, { name: 'Bedriftsportalen', login: 'business', backchannelLogoutUri: s.endpoints.uri('/portal'), backchannelLogoutSessionRequired: true });
  });

  async function userInPortal() {
    const user = await createBusinessUser(s.idp, { password: PASSWORD });
    const signedIn = await signIn(portal, user.email!, PASSWORD, new Browser(), { scope: 'openid business' });
    return { user, ...signedIn };
  }

  async function assertPortalTold(user: { id: string }, claims: oidc.IDToken) {
    assert.equal((await s.endpoints.tokensFor(s.idp, user.id)).length, 0);
    await s.idp.backchannel.deliverDue();
    const tokens = await s.endpoints.tokensFor(s.idp, user.id);
    assert.equal(tokens.length, 1);
    assertValidLogoutToken(s.idp, tokens[0]!, portal.clientId);
    assert.equal(tokens[0]!.path, '/portal');
    assert.equal(tokens[0]!.payload.sid, claims.sid);
  }

  test('an admin disables the user (hk-idp business-users disable)', async () => {
    const { user, claims } = await userInPortal();
    const code = await runCli(['business-users', 'disable', user.email!], { db: s.idp.db, settings: s.idp.settings, out: () => {}, err: () => {} });
    assert.equal(code, 0);
    assert.deepEqual((await notifications(s.idp, user.id)).map((n) => n.reason), ['account']);
    await assertPortalTold(user, claims);
  });

  test('a password reset (the one-time code flow’s last step) ends the sessions', async () => {
    const { user, claims } = await userInPortal();
    const at = Date.now() - 60_000; // the injected clock, not the wall clock, stamps the notification
    await setBusinessPassword(s.idp.db, user.id, await s.idp.hasher.hash('et-helt-nytt-passord-2026'), 'email', at, 'post@hk.no');
    assert.deepEqual((await notifications(s.idp, user.id)).map((n) => [Number(n.created_at), Number(n.next_attempt_at)]), [[at, at]]);
    await assertPortalTold(user, claims);
  });
});

describe('back-channel logout when a session runs out (at purge time)', () => {
  const s = serverWithApps({ SESSION_IDLE_TIMEOUT: '60' });

  test('an idle session is ended and its apps told by the purge, once across instances', async () => {
    const member = await createMember(s.idp, { password: PASSWORD });
    const voting = await signIn(s.voting, member.memberNumber!, PASSWORD);
    await signIn(s.site, member.memberNumber!, PASSWORD, voting.browser);
    const now = () => Date.now() + s.offset;
    assert.equal(await endExpiredSessions(s.idp.db, now()), 0, 'a live session is not touched');

    s.offset += 61_000 + 15_000;
    // The general purge leaves sessions to the hook that tells their apps.
    await runPurge(s.idp.db, { now: now(), auditRetentionDays: 400, targets: purgesNamed('oidc') });
    assert.equal((await listSessions(s.idp.db, member.id, 0)).length, 1);
    const second = await s.idp.another();
    const ended = await Promise.all([endExpiredSessions(s.idp.db, now()), endExpiredSessions(second.db, now())]);
    assert.equal(ended[0]! + ended[1]!, 1, 'one instance ends it');
    assert.deepEqual((await notifications(s.idp, member.id)).map((n) => n.reason), ['expired', 'expired']);
    await s.idp.backchannel.deliverDue();
    const tokens = await s.endpoints.tokensFor(s.idp, member.id);
    assert.equal(tokens.length, 2);
    assertValidLogoutToken(s.idp, tokens.find((t) => t.path === '/voting')!, s.voting.clientId);
    assert.equal(tokens.find((t) => t.path === '/voting')!.payload.sid, voting.claims.sid);
  });
});

describe('back-channel logout with the SSRF guard on (BACKCHANNEL_ALLOW_LOOPBACK=false, as in production)', () => {
  const s = serverWithApps({ BACKCHANNEL_ALLOW_LOOPBACK: 'false' });

  test('a loopback endpoint is refused once, audited, and never reached', async () => {
    const member = await createMember(s.idp, { password: PASSWORD });
    const { browser } = await signIn(s.voting, member.memberNumber!, PASSWORD);
    const ask = await browser.go(`${s.idp.issuer}/session/end?client_id=${s.voting.clientId}`);
    await browser.submit(ask, { logout: 'yes' });
    const posts = s.endpoints.posts;
    await s.idp.backchannel.deliverDue();
    assert.equal(s.endpoints.posts, posts, 'no request reached the app');
    assert.deepEqual((await notifications(s.idp, member.id)).map((n) => n.status), ['failed']);
    const [failed] = await latestAudit(s.idp.db, 1, { accountId: member.id, event: 'backchannel_logout.failed' });
    assert.match(String(failed!.detail.error), /special-use IP address/);
  });
});
