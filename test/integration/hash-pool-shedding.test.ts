// With a tiny hash pool (one hash at a time, one waiting), parallel sign-ins beyond it are answered at
// once with the "many are signing in" page (503, Retry-After), none fails with a 500, the rest sign in,
// and a refused attempt is not counted against the member.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { setPasswordHash } from '../../src/accounts/accounts.ts';
import { Browser, textOf } from '../support/browser.ts';
import { createMember } from '../support/accounts.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { CALLBACK, registerRp, type Rp } from '../support/rp.ts';

const PASSWORD = 'fjordtur-til-lofoten';
const PARALLEL = 10;
let idp: TestIdp;
let rp: Rp;

before(async () => {
  // Cost 12 makes one hash take long enough (~0.2 s or more) for all the posts to arrive while it runs.
  idp = await startIdp({ BCRYPT_COST: '12', HASH_POOL_SIZE: '1', HASH_QUEUE_MAX: '1' });
  rp = await registerRp(idp);
});
after(() => idp.close());

test('parallel sign-ins beyond the hash queue get 503 with Retry-After and the busy page; the rest succeed', async () => {
  const hash = await idp.hasher.hash(PASSWORD);
  const members = [];
  for (let i = 0; i < PARALLEL; i++) {
    const member = await createMember(idp);
    await setPasswordHash(idp.db, member.id, hash);
    members.push(member);
  }
  // Every browser at its login page first, half in English; then all press "Logg inn" at once.
  const started = await Promise.all(
    members.map(async (member, i) => {
      const browser = new Browser({ 'accept-language': i % 2 ? 'en' : 'nb' });
      const { page, verifier, state } = await rp.start(browser);
      assert.equal(page.status, 200);
      return { member, browser, page, verifier, state, lang: i % 2 ? 'en' : 'nb' };
    }),
  );
  const results = await Promise.all(
    started.map(async (s) => ({ ...s, result: await s.browser.submit(s.page, { identifier: s.member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK }) })),
  );

  const busy = results.filter((r) => r.result.status === 503);
  const signedIn = results.filter((r) => r.result.location?.startsWith(CALLBACK));
  assert.ok(busy.length >= 1, 'some sign-ins were refused');
  assert.ok(signedIn.length >= 2, 'the running and the queued sign-in succeeded');
  assert.equal(busy.length + signedIn.length, PARALLEL, `every answer is a sign-in or the busy page: ${results.map((r) => r.result.status).join(',')}`);

  for (const refused of busy) {
    const retryAfter = Number(refused.result.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, 'Retry-After in whole seconds');
    const text = textOf(refused.result.html);
    if (refused.lang === 'nb') assert.match(text, /Mange logger inn akkurat nå\. Prøv igjen om litt\./);
    else assert.match(text, /Many people are signing in right now\. Please try again in a moment\./);
    assert.equal(await idp.counters.failures(`signin:${refused.member.id}`), 0, 'a refused attempt is not counted against the member');
  }
  for (const done of signedIn) {
    const tokens = await rp.finish(done.result.location!, done.verifier, done.state);
    assert.equal(tokens.claims()!.sub, done.member.id);
  }
  const stats = idp.hasher.stats();
  assert.equal(stats.shed, busy.length, 'the pool counted each refusal');
  assert.match(await idp.metrics.render(), new RegExp(`^hk_password_hash_shed_total ${busy.length}$`, 'm'), 'and the metrics show it');
  assert.deepEqual({ running: stats.running, queued: stats.queued }, { running: 0, queued: 0 });

  // A refused member signs in on retry (the busy page links back to the same sign-in).
  const again = busy[0]!;
  const retry = await again.browser.go(new URL(/href="(\/interaction\/[^"]+)"/.exec(again.result.html)![1]!, idp.base));
  assert.equal(retry.status, 200);
  const second = await again.browser.submit(retry, { identifier: again.member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
  assert.ok(second.location?.startsWith(CALLBACK), `the retry signs in (got ${second.status})`);
});

test('clients that send a sign-in form slowly hold no place in the hash pool', async () => {
  const member = await createMember(idp);
  await setPasswordHash(idp.db, member.id, await idp.hasher.hash(PASSWORD));
  // More posts than the pool and its queue hold (1 + 1), each with its headers and a part of its form,
  // the rest never sent: a client on a bad line, or someone trying to shut the sign-in.
  const base = new URL(idp.base);
  const slow = await Promise.all(
    Array.from({ length: 3 }, (_, i) =>
      new Promise<Socket>((resolve) => {
        const socket = connect(Number(base.port), base.hostname, () => {
          socket.write(`POST /interaction/slow-${i}/login HTTP/1.1\r\nHost: ${base.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nidentifier=1`);
          resolve(socket);
        });
      }),
    ),
  );
  try {
    const browser = new Browser();
    const { page, verifier, state } = await rp.start(browser);
    const result = await browser.submit(page, { identifier: member.memberNumber!, password: PASSWORD }, { stopAt: CALLBACK });
    assert.ok(result.location?.startsWith(CALLBACK), `the member signs in (got ${result.status})`);
    assert.equal((await rp.finish(result.location!, verifier, state)).claims()!.sub, member.id);
  } finally {
    for (const socket of slow) socket.destroy();
  }
});
