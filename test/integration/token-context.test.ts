// A token's look-up brings its grant, its session and its account along in one statement, and keeps
// them for the rest of that request only (src/oidc/adapter.ts, TOKEN_WITH_CONTEXT; request-rows.ts).
// These tests prove the saving (one statement for userinfo) and that nothing is kept past a request:
// a grant revoked, a session ended or an account disabled by another instance or the CLI stops the
// very next request; many members' requests at once each get their own member; and rows written
// before the token's context columns existed still work.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, test } from 'node:test';
import { createMember } from '../support/accounts.ts';
import { Browser } from '../support/browser.ts';
import { startIdp, usingPostgres, type TestIdp } from '../support/idp.ts';
import { captureLogs } from '../support/logs.ts';
import { CALLBACK, instancesWithApp, refreshAt, registerRp, userinfoAt, type Rp } from '../support/rp.ts';
import { statementsOf } from '../support/db.ts';
import { digestOf } from '../../src/security/digest.ts';
import type { Db } from '../../src/storage/db.ts';
import { keptForRequest, writeHeld } from '../../src/oidc/request-rows.ts';
import { portOf } from '../../src/server.ts';

const PASSWORD = 'fjordtur-til-lofoten';

type Tokens = { access_token: string; refresh_token: string };

async function signIn(idp: TestIdp, rp: Rp): Promise<{ tokens: Tokens; accountId: string }> {
  const member = await createMember(idp, { password: PASSWORD });
  const browser = new Browser();
  const { page, verifier, state } = await rp.start(browser);
  const callback = await browser.submit(page, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
  const tokens = await rp.finish(callback.location!, verifier, state);
  return { tokens: tokens as unknown as Tokens, accountId: member.id };
}

/**
 * Adds `layer` to `idp` behind hk-idp's own layers, before the provider's routes, and serves the
 * result on a port of its own (built anew there; the instance's own port may run the layer too).
 */
async function servedWithLayer(idp: TestIdp, layer: Parameters<TestIdp['provider']['use']>[0]): Promise<{ base: string; close(): Promise<void> }> {
  idp.provider.use(layer);
  const server = createServer(idp.provider.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${portOf(server)}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function suite(title: string, twoInstances: boolean) {
  describe(title, () => {
    // The statements are counted on an instance's own connection: no worker ticks (outbox, orders,
    // back-channel) may add theirs.
    const server = instancesWithApp(twoInstances, { outboxIntervalMs: 0 });

    test('userinfo reads the token, its grant, its session and its account in one statement', async () => {
      const { tokens, accountId } = await signIn(server.idp, server.rp);
      // The first request of an instance also reads the client (then kept for CLIENT_CACHE_MS).
      assert.equal((await userinfoAt(server.other.base, tokens.access_token)).status, 200);
      let answer: Awaited<ReturnType<typeof userinfoAt>> | undefined;
      const statements = await statementsOf(server.other.db, async () => (answer = await userinfoAt(server.other.base, tokens.access_token)));
      assert.deepEqual([answer!.status, answer!.sub], [200, accountId]);
      assert.equal(statements.length, 1, `one statement, not one per row, and again for the next request: ${statements.join(' | ')}`);
    });

    test('the code exchange and a refresh read their context once and write their new tokens together: the read, the claim, one insert', async () => {
      const member = await createMember(server.idp, { password: PASSWORD });
      const browser = new Browser();
      const { page, verifier, state } = await server.rp.start(browser);
      const callback = await browser.submit(page, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
      let tokens: Tokens | undefined;
      const exchange = await statementsOf(server.idp.db, async () => (tokens = (await server.rp.finish(callback.location!, verifier, state)) as unknown as Tokens));
      // The code with its grant, session and account; the code marked used; the access and refresh
      // tokens together, in one statement (one commit).
      assert.equal(exchange.length, 3, exchange.join(' | '));
      assert.match(exchange[2]!, /^insert into oidc_store .*values \(.*\), \(/s, 'the two tokens in one insert');
      assert.ok(!exchange.some((sql) => /from accounts/.test(sql)), 'the account is not read again after the claim');
      let answer: Awaited<ReturnType<typeof refreshAt>> | undefined;
      const refreshing = await statementsOf(server.idp.db, async () => (answer = await refreshAt(server.idp.base, server.rp, tokens!.refresh_token)));
      assert.equal(answer!.status, 200);
      assert.equal(refreshing.length, 3, refreshing.join(' | '));
      assert.match(refreshing[2]!, /^insert into oidc_store .*values \(.*\), \(/s, 'the new refresh and access tokens in one insert');
    });

    test('an account disabled elsewhere stops the next request', async () => {
      const { tokens, accountId } = await signIn(server.idp, server.rp);
      assert.equal((await userinfoAt(server.other.base, tokens.access_token)).status, 200);
      await server.idp.db('accounts').where({ id: accountId }).update({ status: 'disabled' });
      assert.equal((await userinfoAt(server.other.base, tokens.access_token)).status, 401);
      assert.equal((await refreshAt(server.other.base, server.rp, tokens.refresh_token)).status, 400, 'nor can its refresh token be used');
    });

    test('a grant revoked elsewhere stops the next request', async () => {
      const { tokens } = await signIn(server.idp, server.rp);
      assert.equal((await userinfoAt(server.other.base, tokens.access_token)).status, 200);
      const row = await server.idp.db('oidc_store').where({ model: 'AccessToken', id: digestOf(tokens.access_token) }).first('grant_id');
      assert.equal(await server.idp.db('oidc_store').where({ model: 'Grant', id: digestOf(row!.grant_id!) }).delete(), 1, 'the grant row is found by its key');
      assert.equal((await userinfoAt(server.other.base, tokens.access_token)).status, 401);
    });

    test('a session ended elsewhere stops the next request of a token bound to it', async () => {
      const { tokens } = await signIn(server.idp, server.rp);
      assert.equal((await userinfoAt(server.other.base, tokens.access_token)).status, 200);
      const row = await server.idp.db('oidc_store').where({ model: 'AccessToken', id: digestOf(tokens.access_token) }).first('session_uid');
      assert.ok(row?.session_uid, 'the token names its session');
      assert.equal(await server.idp.db('oidc_store').where({ model: 'Session', uid: row.session_uid }).delete(), 1);
      assert.equal((await userinfoAt(server.other.base, tokens.access_token)).status, 401);
    });

    test('a token written before its context columns existed is read row by row, with the same answers', async () => {
      const { tokens, accountId } = await signIn(server.idp, server.rp);
      await server.idp.db('oidc_store').where({ model: 'AccessToken', id: digestOf(tokens.access_token) }).update({ grant_key: null, session_uid: null });
      let answer: Awaited<ReturnType<typeof userinfoAt>> | undefined;
      const statements = await statementsOf(server.other.db, async () => (answer = await userinfoAt(server.other.base, tokens.access_token)));
      assert.deepEqual([answer!.status, answer!.sub], [200, accountId]);
      assert.equal(statements.length, 3, 'the token with its account, then the session and the grant');
      const row = await server.idp.db('oidc_store').where({ model: 'AccessToken', id: digestOf(tokens.access_token) }).first('grant_id');
      await server.idp.db('oidc_store').where({ model: 'Grant', id: digestOf(row!.grant_id!) }).delete();
      assert.equal((await userinfoAt(server.other.base, tokens.access_token)).status, 401);
    });

    test('many members at once: every request gets its own member, never another request\'s rows', async () => {
      const members = await Promise.all(Array.from({ length: 12 }, () => signIn(server.idp, server.rp)));
      // Each member's token is used 8 times, all 96 requests interleaved across the instances.
      const order = members.flatMap((member, i) => Array.from({ length: 8 }, (_, k) => ({ member, base: (i + k) % 2 ? server.other.base : server.idp.base })));
      const answers = await Promise.all(order.map(({ member, base }) => userinfoAt(base, member.tokens.access_token)));
      answers.forEach((answer, i) => assert.deepEqual([answer.status, answer.sub], [200, order[i]!.member.accountId], `request ${i}`));
      // And their refresh tokens rotate at once, each to a new access token of the same member.
      const refreshed = await Promise.all(members.map((member, i) => refreshAt(i % 2 ? server.other.base : server.idp.base, server.rp, member.tokens.refresh_token)));
      const after = await Promise.all(refreshed.map((answer) => userinfoAt(server.idp.base, answer.body.access_token!)));
      after.forEach((answer, i) => assert.deepEqual([refreshed[i]!.status, answer.status, answer.sub], [200, 200, members[i]!.accountId], `member ${i}`));
      // The new refresh tokens (written with the access tokens, before the answers went out) rotate
      // again at once, each on the other instance than the one that issued it.
      const again = await Promise.all(refreshed.map((answer, i) => refreshAt(i % 2 ? server.idp.base : server.other.base, server.rp, answer.body.refresh_token!)));
      again.forEach((answer, i) => assert.deepEqual([answer.status, typeof answer.body.access_token], [200, 'string'], `member ${i}, second rotation`));
    });
  });
}

suite('a token use reads its context in one statement (one instance)', false);
describe('two instances on one PostgreSQL', { skip: usingPostgres() ? false : 'TEST_DATABASE_URL is not set' }, () =>
  suite('a token use reads its context in one statement (two instances)', true),
);

/** Makes every insert of a refresh token row take 300 ms (PostgreSQL). */
async function slowRefreshTokenInserts(db: Db): Promise<void> {
  await db.raw(`create function slow_refresh_tokens() returns trigger language plpgsql as $$
    begin if new.model = 'RefreshToken' then perform pg_sleep(0.3); end if; return new; end $$`);
  await db.raw('create trigger slow_refresh_tokens before insert on oidc_store for each row execute function slow_refresh_tokens()');
}

/** Makes the database refuse every new access token row (a full disk, a lost connection: any failed write). */
async function refuseAccessTokens(db: Db): Promise<void> {
  if (usingPostgres()) {
    await db.raw(`create function refuse_access_tokens() returns trigger language plpgsql as $$
      begin if new.model = 'AccessToken' then raise exception 'refused by the test'; end if; return new; end $$`);
    await db.raw('create trigger refuse_access_tokens before insert on oidc_store for each row execute function refuse_access_tokens()');
  } else {
    await db.raw(`create trigger refuse_access_tokens before insert on oidc_store when new.model = 'AccessToken'
      begin select raise(abort, 'refused by the test'); end`);
  }
}

describe('the tokens an answer carries are written before it goes out', () => {
  test('when they cannot be written, the app gets server_error and no token, and neither new token is stored', async () => {
    const logs = captureLogs();
    const idp = await startIdp({}, { logger: logs.logger });
    try {
      const rp = await registerRp(idp);
      const { tokens } = await signIn(idp, rp);
      const stored = () => idp.db('oidc_store').whereIn('model', ['AccessToken', 'RefreshToken']).orderBy('id').pluck('id');
      const before = await stored();
      await refuseAccessTokens(idp.db);

      const answer = await refreshAt(idp.base, rp, tokens.refresh_token);
      assert.deepEqual([answer.status, answer.body.error], [500, 'server_error']);
      assert.ok(!('access_token' in answer.body) && !('refresh_token' in answer.body), 'no token in the answer');
      // The two new tokens were one statement: the refused access token took the refresh token with it.
      assert.deepEqual(await stored(), before, 'no new token row');
      assert.ok(
        logs.records().some((record) => record.msg === 'issued tokens could not be written' && /refused by the test/.test(record.err?.message)),
        'the failure is logged',
      );
      // With the id of its request, as the access line of that request.
      const failure = logs.records().find((record) => record.msg === 'issued tokens could not be written')!;
      const access = logs.records().find((record) => record.kind === 'access' && record.route === '/token' && record.status === 500);
      assert.ok(typeof failure.requestId === 'string' && failure.requestId === access?.requestId, 'the failure line carries its request id');
      // The old refresh token was claimed (the claim comes first, on its own): it is used up, as after any answer.
      assert.equal((await refreshAt(idp.base, rp, tokens.refresh_token)).status, 400);
    } finally {
      await idp.close();
    }
  });

  test('an answer that fails past the provider carries no token, the tokens it held are never stored, and the failure is logged with its request id', async () => {
    const logs = captureLogs();
    const idp = await startIdp({}, { logger: logs.logger });
    // The provider handles its own errors; a failure after it (here a layer added behind hk-idp's,
    // served on a port of its own) is what is left, and what the request held must not be written.
    let failing = false;
    const { base, close } = await servedWithLayer(idp, async (ctx, next) => {
      await next();
      if (failing && ctx.path === '/token') throw new Error('failed past the provider');
    });
    try {
      const rp = await registerRp(idp);
      const { tokens } = await signIn(idp, rp);
      const stored = () => idp.db('oidc_store').whereIn('model', ['AccessToken', 'RefreshToken']).orderBy('id').pluck('id');
      const before = await stored();
      failing = true;
      const answer = await refreshAt(base, rp, tokens.refresh_token);
      assert.equal(answer.status, 500);
      assert.doesNotMatch(answer.text, /access_token|refresh_token/, 'no token in the answer');
      // One error line through the logger, and the access line with the status the caller got (not
      // the 200 the token endpoint had set), both with the request's id.
      const failure = logs.records().find((record) => record.msg === 'request failed past every handler');
      assert.match(failure?.err?.message ?? '', /failed past the provider/);
      const access = logs.records().find((record) => record.kind === 'access' && record.route === '/token' && record.requestId === failure!.requestId);
      assert.equal(access?.status, 500, 'the access line says 500');
      // Nothing the request held is written, then or by a later request's statements.
      assert.equal((await userinfoAt(base, tokens.access_token)).status, 200);
      assert.deepEqual(await stored(), before, 'no new token row');
      // The same layer, not failing: the next chain's refresh is written and works.
      failing = false;
      const { tokens: second } = await signIn(idp, rp);
      const fine = await refreshAt(base, rp, second.refresh_token);
      assert.equal(fine.status, 200);
      assert.equal((await userinfoAt(base, fine.body.access_token!)).status, 200);
    } finally {
      await close();
      await idp.close();
    }
  });

  test('a finished app request keeps none of the store on its context: the rows brought along and the tokens held are let go', async () => {
    const idp = await startIdp();
    // A layer behind hk-idp's (served on a port of its own) sees each request's context while the
    // provider runs and keeps it, as V8 may keep a finished request's context a while.
    const seen: { path: string; ctx: object; keptWhileRunning: unknown }[] = [];
    const { base, close } = await servedWithLayer(idp, async (ctx, next) => {
      await next();
      seen.push({ path: ctx.path, ctx, keptWhileRunning: keptForRequest(ctx) });
    });
    try {
      const rp = await registerRp(idp);
      const { tokens } = await signIn(idp, rp);
      seen.length = 0;
      assert.equal((await userinfoAt(base, tokens.access_token)).status, 200);
      assert.equal((await refreshAt(base, rp, tokens.refresh_token)).status, 200);
      assert.deepEqual(seen.map(({ path }) => path), ['/me', '/token']);
      for (const { path, ctx, keptWhileRunning } of seen) {
        assert.ok(keptWhileRunning, `${path}: the token's look-up kept its rows while the request ran`);
        assert.equal(keptForRequest(ctx), undefined, `${path}: no row stays on the finished request`);
        let written = false;
        const write = async () => (written = true);
        assert.equal(writeHeld(ctx, write), undefined, `${path}: no token held, no write under way`);
        assert.equal(written, false);
      }
    } finally {
      await close();
      await idp.close();
    }
  });

  // The library saves the new refresh token, then the access token, then signs the ID token. A
  // listener of the library's own event reads the new refresh token back, inside the request but not
  // waited for by it: the held rows must go first, and the answer must still wait for their write
  // (made slow here on PostgreSQL, where it runs on another connection; SQLite's writes finish before
  // anything else runs). Read back after both saves, the two tokens go in one insert; after the refresh
  // token's only, it goes alone and the access token, held after it, is written after that write.
  const readBacks = [
    { after: 'access_token.saved', inserts: ['both tokens'] },
    { after: 'refresh_token.saved', inserts: ['the refresh token', 'the access token'] },
  ] as const;
  for (const { after, inserts } of readBacks) {
    test(`a read later in the same request (on ${after}) writes the held tokens first, and the answer waits for every write`, async () => {
      // (No worker ticks among the counted statements: on PostgreSQL the window is a slow insert long.)
      const idp = await startIdp({}, { outboxIntervalMs: 0 });
      try {
        const rp = await registerRp(idp);
        const { tokens } = await signIn(idp, rp);
        if (usingPostgres()) await slowRefreshTokenInserts(idp.db);
        let issued: string | undefined;
        let readBack: Promise<{ consumed?: unknown } | undefined> | undefined;
        const onRefreshToken = (token: { jti: string }) => (issued = token.jti);
        const onSaved = () => (readBack ??= issued ? idp.provider.RefreshToken.find(issued) : undefined);
        idp.provider.on('refresh_token.saved', onRefreshToken);
        // (The library types each event's listener on its own; both of these take the token saved.)
        idp.provider.on(after as 'access_token.saved', onSaved);
        let answer: Awaited<ReturnType<typeof refreshAt>> | undefined;
        let storedWhenAnswered: unknown[] = [];
        const statements = await statementsOf(idp.db, async () => {
          answer = await refreshAt(idp.base, rp, tokens.refresh_token);
          const ids = [digestOf(answer.body.refresh_token ?? ''), digestOf(answer.body.access_token ?? '')];
          storedWhenAnswered = await idp.db('oidc_store').whereIn('id', ids).pluck('model');
          await readBack;
        });
        idp.provider.off('refresh_token.saved', onRefreshToken);
        idp.provider.off(after as 'access_token.saved', onSaved);

        assert.equal(answer!.status, 200);
        assert.equal(answer!.body.refresh_token, issued);
        assert.deepEqual(storedWhenAnswered.sort(), ['AccessToken', 'RefreshToken'], 'both new tokens were stored when the answer came');
        assert.ok(readBack, 'the listener ran inside the request');
        const found = await readBack;
        assert.ok(found && found.consumed === undefined, 'the read-back found the new refresh token, unused');
        // The read, the claim, the writes (the first before the read-back), the read-back; nothing written twice.
        // (The test's own check above goes through knex's builder, which quotes its names; the adapter's SQL does not.)
        const ours = statements.filter((sql) => !/[`"]oidc_store[`"]/.test(sql));
        const written = ours.filter((sql) => sql.startsWith('insert into oidc_store'));
        assert.equal(ours.length, 3 + inserts.length, ours.join(' | '));
        assert.match(ours[2]!, /^insert into oidc_store/, `${inserts[0]} written before the read-back`);
        assert.deepEqual(
          written.map((sql) => (/\), \(/.test(sql) ? 2 : 1)),
          inserts.map((what) => (what === 'both tokens' ? 2 : 1)),
          `written: ${inserts.join(', then ')}`,
        );
        assert.equal(ours.filter((sql) => /^select t\.payload/.test(sql)).length, 2, 'the refresh token read, then read back');
        // And what the answer carries works.
        assert.equal((await userinfoAt(idp.base, answer!.body.access_token!)).status, 200);
        assert.equal((await refreshAt(idp.base, rp, issued!)).status, 200);
      } finally {
        await idp.close();
      }
    });
  }
});
