// Orders over HTTP: asking for a first-time password or a business code records the order in one
// identical write whatever it matches (the same SQL statements, counted through knex's 'query'
// events), and the outbox worker fulfils each order exactly once, also with two instances on one
// database working through orders made in parallel.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { latestAudit } from '../../src/audit/audit.ts';
import { createBusinessUser, createMember } from '../support/accounts.ts';
import { Browser, decode, textOf, type Page } from '../support/browser.ts';
import { statementsOf } from '../support/db.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { registerRp, type Rp } from '../support/rp.ts';

const linkOn = (page: Page, text: RegExp) => {
  const match = [...page.html.matchAll(/<a [^>]*href="([^"]+)"[^>]*>([^<]*)<\/a>/g)].find((m) => text.test(decode(m[2]!)));
  assert.ok(match, `no link ${text}`);
  return new URL(decode(match[1]!), page.url);
};

const formOn = (page: Page, action: RegExp) => {
  const form = [...page.html.matchAll(/<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].find((f) => action.test(f[1]!));
  assert.ok(form, `no form ${action}`);
  return { action: new URL(decode(form[1]!), page.url), csrf: decode(/name="csrf" value="([^"]+)"/.exec(form[2]!)![1]!) };
};

/** A fresh browser on the order form of a member app; `post` sends the order and answers the raw response. */
async function memberOrderForm(rp: Rp, base?: string, headers: Record<string, string> = {}) {
  const browser = new Browser(headers);
  const { page } = await rp.start(browser);
  const form = await browser.go(linkOn(page, /Jeg vil ha eller har glemt passord/));
  const { action, csrf } = formOn(form, /first-time-password$/);
  if (base) action.host = new URL(base).host;
  return (fields: { member_number: string; mobile: string }) => browser.request(action, { form: { csrf, channel: 'sms', ...fields } });
}

async function businessCodeForm(portal: Rp, channel: 'email' | 'sms', base?: string, headers: Record<string, string> = {}) {
  const browser = new Browser(headers);
  const { page } = await portal.start(browser, { scope: 'openid profile email phone business' });
  const form = await browser.go(linkOn(page, /Klikk her for å aktivere/));
  const { action, csrf } = formOn(form, new RegExp(`/${channel}$`));
  if (base) action.host = new URL(base).host;
  return (address: string) => browser.request(action, { form: { csrf, [channel === 'email' ? 'email' : 'mobile']: address } });
}

describe('an order request does the same database work whatever it matches', () => {
  let idp: TestIdp;
  let rp: Rp;
  let portal: Rp;
  before(async () => {
    // The worker only runs when called, so what is counted is the request's own work.
    idp = await startIdp({}, { outboxIntervalMs: 0 });
    rp = await registerRp(idp);
    portal = await registerRp(idp, { name: 'Bedriftsportalen', login: 'business' });
  });
  after(() => idp.close());

  test('first-time password: a match, a wrong mobile, an unknown and an inactive member send the same SQL, one insert into orders', async () => {
    const member = await createMember(idp);
    const inactive = await createMember(idp, { status: 'inactive' });
    const cases = {
      match: { member_number: member.memberNumber!, mobile: member.mobile! },
      wrongMobile: { member_number: member.memberNumber!, mobile: '+4790000001' },
      unknownMember: { member_number: '88888888', mobile: member.mobile! },
      inactiveMember: { member_number: inactive.memberNumber!, mobile: inactive.mobile! },
    };
    const seen: Record<string, string[]> = {};
    for (const [name, fields] of Object.entries(cases)) {
      const post = await memberOrderForm(rp);
      seen[name] = await statementsOf(idp.db, async () => assert.equal((await post(fields)).status, 303));
    }
    for (const [name, statements] of Object.entries(seen)) assert.deepEqual(statements, seen.match, name);
    assert.equal(seen.match!.filter((sql) => /insert into .?orders/i.test(sql)).length, 1);
    const touched = seen.match!.filter((sql) => /accounts|first_time_passwords|outbox|audit_log|one_time_codes/.test(sql));
    assert.deepEqual(touched, [], 'nothing is looked up, issued, queued or audited inside the request (only the IP is counted)');

    // The worker does it afterwards: one message, to the match, and every outcome audited with its reason.
    await idp.outbox.deliverDue();
    assert.deepEqual(idp.devOutbox!.map((m) => m.to), [member.mobile]);
    const reasons = (await latestAudit(idp.db, 4, { event: 'first_time_password.ordered' })).map((row) => row.detail.reason ?? 'sent').reverse();
    assert.deepEqual(reasons, ['sent', 'contact_mismatch', 'unknown_member', 'inactive']);
    assert.equal((await idp.db('orders')).length, 0);
  });

  test('business code: a registered, an unknown and a disabled address send the same SQL, one insert into orders', async () => {
    const user = await createBusinessUser(idp);
    const disabled = await createBusinessUser(idp, { disabled: true });
    const cases = { registered: user.email!, unknown: 'ingen.her@firma.example', disabled: disabled.email! };
    const seen: Record<string, string[]> = {};
    for (const [name, address] of Object.entries(cases)) {
      const post = await businessCodeForm(portal, 'email');
      seen[name] = await statementsOf(idp.db, async () => assert.equal((await post(address)).status, 303));
    }
    for (const [name, statements] of Object.entries(seen)) assert.deepEqual(statements, seen.registered, name);
    assert.equal(seen.registered!.filter((sql) => /insert into .?orders/i.test(sql)).length, 1);
    assert.deepEqual(seen.registered!.filter((sql) => /accounts|outbox|audit_log|one_time_codes/.test(sql)), []);

    idp.devOutbox!.length = 0;
    await idp.outbox.deliverDue();
    assert.deepEqual(idp.devOutbox!.map((m) => m.to), [user.email]);
    const requested = (await latestAudit(idp.db, 3, { event: 'code.requested' })).map((row) => row.detail.reason ?? 'sent').reverse();
    assert.deepEqual(requested, ['sent', 'unknown', 'disabled']);
    assert.equal((await idp.db('one_time_codes')).length, 3, 'a code row for each, usable or not');
  });
});

describe('one IP cannot flood the orders, and the backlog is visible', () => {
  const TOKEN = 'metrics-token-0123456789abcdefghijklmnop';
  let idp: TestIdp;
  let rp: Rp;
  let portal: Rp;
  let clock = Date.now();
  before(async () => {
    idp = await startIdp({ SEND_LIMIT_IP_HOUR: '3', TRUST_PROXY_HOPS: '1', METRICS_TOKEN: TOKEN }, { outboxIntervalMs: 0, now: () => clock });
    rp = await registerRp(idp);
    portal = await registerRp(idp, { name: 'Bedriftsportalen', login: 'business' });
  });
  after(() => idp.close());

  test('past SEND_LIMIT_IP_HOUR order requests from one IP get 429 with Retry-After and record nothing, known or unknown alike; another IP goes on', async () => {
    const member = await createMember(idp);
    const user = await createBusinessUser(idp);
    const flood = { 'x-forwarded-for': '203.0.113.50' };
    const count = async () => Number((await idp.db('orders').count({ n: '*' }).first())!.n);
    assert.equal((await (await memberOrderForm(rp, undefined, flood))({ member_number: member.memberNumber!, mobile: member.mobile! })).status, 303);
    assert.equal((await (await memberOrderForm(rp, undefined, flood))({ member_number: '88888881', mobile: '+4790000011' })).status, 303);
    assert.equal((await (await businessCodeForm(portal, 'email', undefined, flood))(user.email!)).status, 303);
    assert.equal(await count(), 3);

    // Over the cap: a known and an unknown member get the same refusal, and nothing is recorded.
    const pages: string[] = [];
    for (const fields of [{ member_number: member.memberNumber!, mobile: member.mobile! }, { member_number: '88888882', mobile: '+4790000012' }]) {
      const refused = await (await memberOrderForm(rp, undefined, flood))(fields);
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('retry-after'), '360');
      const text = textOf(refused.html);
      assert.match(text, /Det er bestilt for mange førstegangspassord og koder fra denne nettverksadressen den siste timen\. Vent noen minutter og prøv igjen\./);
      pages.push(text.replace(fields.member_number, 'NUMBER').replace(/\S*9000001\d/, 'MOBILE'));
    }
    assert.equal(pages[1], pages[0], 'the refusal tells nothing about the member');
    const code = await (await businessCodeForm(portal, 'email', undefined, flood))(user.email!);
    assert.equal(code.status, 429, 'codes share the cap');
    assert.equal(code.headers.get('retry-after'), '360');
    assert.match(textOf(code.html), /Det er bedt om for mange koder og passord fra denne nettverksadressen/);
    assert.equal(await count(), 3, 'nothing recorded over the cap');

    // Another address is not held up by the flood.
    const other = await (await memberOrderForm(rp, undefined, { 'x-forwarded-for': '203.0.113.51' }))({ member_number: member.memberNumber!, mobile: member.mobile! });
    assert.equal(other.status, 303);
    assert.equal(await count(), 4);
  });

  test('/readyz and the metrics show the orders waiting and the age of the oldest', async () => {
    clock += 90_000;
    const ready = (await (await fetch(`${idp.issuer}/readyz`)).json()) as { orders: unknown };
    assert.deepEqual(ready.orders, { backlog: 4, oldestAgeSeconds: 90 });
    const metrics = await (await fetch(`${idp.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    assert.match(metrics, /^hk_orders_backlog 4$/m);
    assert.match(metrics, /^hk_orders_oldest_age_seconds 90$/m);
    await idp.outbox.deliverDue();
    const after = (await (await fetch(`${idp.issuer}/readyz`)).json()) as { orders: unknown };
    assert.deepEqual(after.orders, { backlog: 0, oldestAgeSeconds: 0 });
  });

  test('"send again" past the cap is refused on its page with 429 and Retry-After, for codes and first-time passwords, and records nothing', async () => {
    const count = async () => Number((await idp.db('orders').count({ n: '*' }).first())!.n);
    // A business code flow and a first-time password flow, each from an address that then orders up to the cap.
    const business = new Browser({ 'x-forwarded-for': '203.0.113.52' });
    const start = await portal.start(business, { scope: 'openid profile email phone business' });
    const request = await business.go(linkOn(start.page, /Klikk her for å aktivere/));
    const codePage = await business.submit(request, { email: 'ingen.her@firma.example' }, { action: /\/email$/ });
    const member = new Browser({ 'x-forwarded-for': '203.0.113.53' });
    const { page } = await rp.start(member);
    const form = await member.go(linkOn(page, /Jeg vil ha eller har glemt passord/));
    const sentPage = await member.submit(form, { member_number: '88888885', channel: 'sms', mobile: '+4790000015' }, { action: /first-time-password$/ });
    for (const ip of ['203.0.113.52', '203.0.113.53']) {
      for (const number of ['88888886', '88888887']) {
        assert.equal((await (await memberOrderForm(rp, undefined, { 'x-forwarded-for': ip }))({ member_number: number, mobile: '+4790000016' })).status, 303);
      }
    }
    clock += idp.settings.resendWait * 1000;
    const recorded = await count();

    const code = await business.submit(codePage, {}, { action: /\/business\/resend$/ });
    assert.equal(code.status, 429);
    assert.equal(code.headers.get('retry-after'), '360');
    assert.match(textOf(code.html), /Det er bedt om for mange koder og passord fra denne nettverksadressen/);
    const again = await member.submit(sentPage, {}, { action: /first-time-password\/resend$/ });
    assert.equal(again.status, 429);
    assert.equal(again.headers.get('retry-after'), '360');
    assert.match(textOf(again.html), /Det er bestilt for mange førstegangspassord og koder fra denne nettverksadressen/);
    assert.equal(await count(), recorded, 'nothing recorded');
  });
});

describe('two instances on one database fulfil orders made in parallel exactly once each', () => {
  let a: TestIdp;
  let b: TestIdp;
  before(async () => {
    a = await startIdp({}, { outboxIntervalMs: 0 });
    b = await a.another();
  });
  after(() => a.close());

  test('N first-time password and code orders, sent to both instances at once, are each fulfilled, sent and audited once', async () => {
    const N = 12;
    const rp = await registerRp(a);
    const portal = await registerRp(a, { name: 'Bedriftsportalen', login: 'business' });
    const members = await Promise.all(Array.from({ length: N }, () => createMember(a)));
    const users = await Promise.all(Array.from({ length: N }, () => createBusinessUser(a)));
    const memberPosts = await Promise.all(members.map((_, i) => memberOrderForm(rp, (i % 2 ? b : a).base)));
    const codePosts = await Promise.all(users.map((_, i) => businessCodeForm(portal, 'sms', (i % 2 ? a : b).base)));
    const answers = await Promise.all([
      ...members.map((m, i) => memberPosts[i]!({ member_number: m.memberNumber!, mobile: m.mobile! })),
      ...users.map((u, i) => codePosts[i]!(u.mobile!)),
    ]);
    assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([303]));
    assert.equal((await a.db('orders')).length, 2 * N);

    await Promise.all([a.outbox.deliverDue(), b.outbox.deliverDue(), a.outbox.deliverDue(), b.outbox.deliverDue()]);

    assert.equal((await a.db('orders')).length, 0, 'every order done');
    const sent = [...a.devOutbox!, ...b.devOutbox!];
    for (const person of [...members, ...users]) assert.equal(sent.filter((m) => m.to === person.mobile).length, 1, `one message to ${person.mobile}`);
    assert.equal(sent.length, 2 * N);
    for (const member of members) {
      assert.equal((await latestAudit(a.db, 10, { event: 'first_time_password.ordered', accountId: member.id })).length, 1);
      assert.equal((await a.db('first_time_passwords').where({ account_id: member.id })).length, 1);
    }
    for (const user of users) {
      assert.equal((await latestAudit(a.db, 10, { event: 'code.requested', accountId: user.id })).length, 1);
      assert.equal((await a.db('one_time_codes').where({ account_id: user.id })).length, 1);
    }
  });
});
