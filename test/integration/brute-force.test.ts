// Brute force and spraying: throttled per account and per IP, in storage every instance shares.
import { captureLogs } from '../support/logs.ts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createMember } from '../support/accounts.ts';
import { Browser, textOf, type Page } from '../support/browser.ts';
import { freePort, startIdp, type TestIdp } from '../support/idp.ts';
import { REDIS_URL, redisSkip } from '../support/redis.ts';
import { CALLBACK, registerRp, type Rp } from '../support/rp.ts';

const PASSWORD = 'fjordtur-til-lofoten';
const noRedis = await redisSkip();

/** `n` browsers that each opened the sign-in page, then all post the same identifier and password at once. */
async function crowd(rp: Rp, n: number, identifier: string, password: string): Promise<Page[]> {
  const started = await Promise.all(
    Array.from({ length: n }, async () => {
      const browser = new Browser();
      return { browser, page: (await rp.start(browser)).page };
    }),
  );
  return Promise.all(started.map(({ browser, page }) => browser.submit(page, { identifier, password }, { stopAt: CALLBACK })));
}

describe('sign-in throttling', () => {
  let idp: TestIdp;
  let rp: Rp;
  let clock = Date.now();
  before(async () => {
    idp = await startIdp({ SIGNIN_IP_FAILURES_PER_HOUR: '1000' }, { now: () => clock });
    rp = await registerRp(idp);
  });
  after(() => idp.close());

  async function attempt(identifier: string, password: string, headers: Record<string, string> = {}): Promise<Page> {
    const browser = new Browser(headers);
    const { page } = await rp.start(browser);
    return browser.submit(page, { identifier, password }, { stopAt: CALLBACK });
  }
  const signedIn = (page: Page) => Boolean(page.location?.startsWith(CALLBACK));
  const failures = async (accountId: string) => idp.counters.failures(`signin:${accountId}`);

  test('after 5 failures the right password must wait, gets the usual message, then works and clears the count', async () => {
    const member = await createMember(idp, { password: PASSWORD });
    for (let i = 0; i < 5; i++) assert.equal((await attempt(member.memberNumber!, 'wrong-password-x')).status, 400);
    const locked = await attempt(member.memberNumber!, PASSWORD);
    assert.equal(signedIn(locked), false, 'the 6th attempt is delayed even with the right password');
    assert.match(textOf(locked.html), /Feil medlemsnummer\/brukernavn eller passord\./);
    const events = await idp.db('audit_log').where({ account_id: member.id }).orderBy('id').pluck('event');
    assert.deepEqual(events, [...Array(5).fill('sign_in.failed'), 'sign_in.throttled']);

    clock += 60_000; // the wait grew to 60 s with the refused attempt
    assert.equal(signedIn(await attempt(member.memberNumber!, PASSWORD)), true);
    assert.equal(await failures(member.id), 0, 'success resets the count');
  });

  test('the lock applies to username and member number alike', async () => {
    const member = await createMember(idp, { password: PASSWORD, username: 'lås.test' });
    for (let i = 0; i < 5; i++) await attempt(i % 2 ? 'lås.test' : member.memberNumber!, 'wrong-password-x');
    assert.equal(signedIn(await attempt('LÅS.TEST', PASSWORD)), false);
    assert.equal(await failures(member.id), 6);
  });

  test('20 parallel wrong guesses are all counted', async () => {
    const member = await createMember(idp, { password: PASSWORD });
    const pages = await Promise.all(Array.from({ length: 20 }, () => attempt(member.memberNumber!, 'wrong-password-x')));
    assert.ok(pages.every((page) => page.status === 400));
    assert.equal(await failures(member.id), 20);
    assert.equal(signedIn(await attempt(member.memberNumber!, PASSWORD)), false);
  });

  test('the counters survive a restart', async () => {
    const member = await createMember(idp, { password: PASSWORD });
    for (let i = 0; i < 5; i++) await attempt(member.memberNumber!, 'wrong-password-x');
    idp = await idp.restart();
    assert.equal(signedIn(await attempt(member.memberNumber!, PASSWORD)), false);
  });

  test('first-time password guesses are throttled on their own counter: neither a locked password nor wrong guesses block the way back in', async () => {
    const member = await createMember(idp, { password: PASSWORD, mobile: '98762222' });
    for (let i = 0; i < 6; i++) await attempt(member.memberNumber!, 'wrong-password-x');
    assert.equal(signedIn(await attempt(member.memberNumber!, PASSWORD)), false, 'the password sign-in is throttled');

    const orderBrowser = new Browser();
    const { page } = await rp.start(orderBrowser);
    const form = await orderBrowser.go(new URL(/href="([^"]+first-time-password)"/.exec(page.html)![1]!, page.url));
    await orderBrowser.submit(form, { member_number: member.memberNumber!, channel: 'sms', mobile: '98762222' });
    await idp.outbox.deliverDue();
    const firstTimePassword = /\b([a-z2-9]{4} [a-z2-9]{4} [a-z2-9]{4})\b/.exec(idp.devOutbox!.find((m) => m.to === '+4798762222')!.text)![1]!;

    const firstLogin = async (password: string) => {
      const browser = new Browser();
      const start = await rp.start(browser);
      const login = await browser.go(new URL(/href="([^"]+first-login)"/.exec(start.page.html)![1]!, start.page.url));
      return browser.submit(login, { member_number: member.memberNumber!, password });
    };
    const opened = await firstLogin(firstTimePassword);
    assert.match(opened.url, /\/credentials$/, 'the first-time password works although the password sign-in is locked');
    // Guesses count on the first-time password typed, not on the member (issue 10.4): one guess
    // repeated is throttled after 5, but no number of wrong guesses holds back the right one.
    for (let i = 0; i < 6; i++) await firstLogin('aaaa bbbb cccc');
    const rows = await idp.db('audit_log').where({ event: 'sign_in.throttled' }).andWhereRaw('detail like ?', ['%first_time_password%']);
    assert.equal(rows.length, 1, 'the 6th repeat of one wrong guess is throttled');
    const still = await firstLogin(firstTimePassword);
    assert.match(still.url, /\/credentials$/, 'wrong guesses never hold back the right first-time password');
  });

  test('unknown identifiers are throttled the same way', async () => {
    const throttled = async () => (await idp.db('audit_log').where({ event: 'sign_in.throttled' }).whereNull('account_id')).length;
    const before = await throttled();
    for (let i = 0; i < 5; i++) await attempt('98989898', 'wrong-password-x');
    assert.equal(await throttled(), before);
    const page = await attempt('98989898', 'wrong-password-x');
    assert.equal(page.status, 400);
    assert.equal(await throttled(), before + 1);
  });
});

describe('per-IP limit (spraying) and trusted proxy hops', () => {
  let idp: TestIdp;
  let rp: Rp;
  before(async () => {
    idp = await startIdp({ SIGNIN_IP_FAILURES_PER_HOUR: '10', TRUST_PROXY_HOPS: '1' });
    rp = await registerRp(idp);
  });
  after(() => idp.close());

  async function attempt(identifier: string, password: string, forwardedFor: string): Promise<Page> {
    const browser = new Browser({ 'x-forwarded-for': forwardedFor });
    const { page } = await rp.start(browser);
    return browser.submit(page, { identifier, password }, { stopAt: CALLBACK });
  }

  test('many accounts, one IP: refused past the hourly cap, whatever the client claims as its own address', async () => {
    const member = await createMember(idp, { password: PASSWORD });
    // The proxy appends the real client address; the part before it is the client's to invent.
    for (let i = 0; i < 10; i++) await attempt(String(50_000_000 + i), 'Sommer2024!!', `10.0.0.${i}, 192.0.2.7`);
    assert.equal(await idp.counters.peek('signin-ip:192.0.2.7', 3600_000, Date.now()), 10);
    const blocked = await attempt(member.memberNumber!, PASSWORD, `10.9.9.9, 192.0.2.7`);
    assert.equal(blocked.location, undefined, 'refused from the spraying IP');
    assert.match(textOf(blocked.html), /Feil medlemsnummer\/brukernavn eller passord\./);
    const other = await attempt(member.memberNumber!, PASSWORD, '192.0.2.8');
    assert.ok(other.location?.startsWith(CALLBACK), 'another IP is not affected');
  });
});

for (const store of ['database', 'redis'] as const) {
  describe(`crowds and two instances share the counters (${store})`, { skip: store === 'redis' && noRedis }, () => {
    let first: TestIdp;
    let rp: Rp;
    before(async () => {
      const redis: Record<string, string> = store === 'redis' ? { REDIS_URL, REDIS_PREFIX: `hk-idp-test:${randomUUID()}:` } : {};
      first = await startIdp(redis);
      rp = await registerRp(first);
    });
    after(() => first.close());

    test('a crowd of 32 right sign-ins of one account: all signed in, none throttled, no error', async () => {
      const member = await createMember(first, { password: PASSWORD });
      // Four earlier failures: the next attempt is still free, and the crowd has a count to clear.
      for (let i = 0; i < 4; i++) assert.equal((await crowd(rp, 1, member.memberNumber!, 'wrong-password-x'))[0]!.status, 400);
      const pages = await crowd(rp, 32, member.memberNumber!, PASSWORD);
      assert.deepEqual(pages.filter((page) => !page.location?.startsWith(CALLBACK)).map((page) => page.status), [], 'every one reaches the app');
      assert.equal((await first.db('audit_log').where({ account_id: member.id, event: 'sign_in.throttled' })).length, 0);
      assert.equal(await first.counters.failures(`signin:${member.id}`), 0, 'the earlier failures are cleared, nothing new counted');
    });

    test('a crowd of 32 wrong passwords for one account: all refused and all counted', async () => {
      const member = await createMember(first, { password: PASSWORD });
      const pages = await crowd(rp, 32, member.memberNumber!, 'wrong-password-x');
      assert.deepEqual([...new Set(pages.map((page) => page.status))], [400]);
      assert.equal(await first.counters.failures(`signin:${member.id}`), 32);
      const refused = await first.db('audit_log').where({ account_id: member.id }).whereIn('event', ['sign_in.failed', 'sign_in.throttled']);
      assert.equal(refused.length, 32);
      assert.equal((await crowd(rp, 1, member.memberNumber!, PASSWORD))[0]!.location, undefined, 'and the account waits');
    });

    test('failures on one instance lock the account on the other', async () => {
      const second = await first.another();
      const member = await createMember(first, { password: PASSWORD });
      // The form is shown by the first instance and posted to either: one issuer, one database.
      const attempt = async (instance: TestIdp, password: string) => {
        const browser = new Browser();
        const { page } = await rp.start(browser);
        const action = new URL(/action="([^"]+)"/.exec(page.html)![1]!, instance.base);
        const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
        return browser.request(action, { form: { csrf, identifier: member.memberNumber!, password } });
      };
      for (let i = 0; i < 5; i++) assert.equal((await attempt(first, 'wrong-password-x')).status, 400);
      const refused = await attempt(second, PASSWORD);
      assert.equal(refused.location, undefined, 'the second instance knows the account is throttled');
      assert.equal(await second.counters.failures(`signin:${member.id}`), 6);
    });
  });
}

describe('Redis down: sign-ins go on with the counters in the database', () => {
  let idp: TestIdp;
  let rp: Rp;
  const logs = captureLogs();
  before(async () => {
    // Nothing listens on a port just freed: every Redis connection is refused.
    idp = await startIdp({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` }, { logger: logs.logger });
    rp = await registerRp(idp);
  });
  after(() => idp.close());

  test('right and wrong passwords are answered (never a 500), throttling holds, one log line, degraded() says so', async () => {
    const member = await createMember(idp, { password: PASSWORD });
    assert.ok((await crowd(rp, 1, member.memberNumber!, PASSWORD))[0]!.location?.startsWith(CALLBACK), 'a right password signs in');
    const wrong = await crowd(rp, 5, member.memberNumber!, 'wrong-password-x');
    assert.deepEqual([...new Set(wrong.map((page) => page.status))], [400]);
    assert.equal((await crowd(rp, 1, member.memberNumber!, PASSWORD))[0]!.location, undefined, 'after 5 failures the account waits');
    assert.equal(idp.counters.degraded(), true);
    assert.equal(await idp.db('counters').where({ key: `signin:${member.id}` }).first('count').then((row) => Number(row!.count)), 6, 'counted in the database');
    assert.equal(logs.records().filter((record) => /Redis is not answering/.test(record.msg)).length, 1, 'one line per outage, not one per sign-in');
  });
});
