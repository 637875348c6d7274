// Sending limits over HTTP: a flood of orders sends nothing more and looks like any other answer;
// the global SMS budget stops SMS and raises an alert.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createBusinessUser, createMember } from '../support/accounts.ts';
import { Browser, textOf, type Page } from '../support/browser.ts';
import { captureLogs } from '../support/logs.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { registerRp, type Rp } from '../support/rp.ts';

/** Orders a first-time password through the member pages; returns the page the person sees. */
async function order(idp: TestIdp, rp: Rp, fields: { member_number: string; channel: 'sms' | 'email'; contact: string }): Promise<Page> {
  const browser = new Browser();
  const { page } = await rp.start(browser);
  const form = await browser.go(new URL(/href="([^"]+first-time-password)"/.exec(page.html)![1]!, page.url));
  const { contact, ...rest } = fields;
  return browser.submit(form, { ...rest, [fields.channel === 'sms' ? 'mobile' : 'email']: contact }, { action: /first-time-password$/ });
}

const sentTo = async (idp: TestIdp, to: string) => {
  await idp.outbox.deliverDue();
  return idp.devOutbox!.filter((m) => m.to === to).length;
};

const normalise = (html: string) => html.replace(/\/interaction\/[\w-]+/g, '').replace(/name="csrf" value="[^"]+"/g, '');

describe('per recipient and per IP', () => {
  let idp: TestIdp;
  let rp: Rp;
  before(async () => {
    idp = await startIdp({ SEND_LIMIT_RECIPIENT_15MIN: '3', SEND_LIMIT_RECIPIENT_DAY: '10', SEND_LIMIT_IP_HOUR: '6' });
    rp = await registerRp(idp);
  });
  after(() => idp.close());

  test('the 4th first-time password for one member in 15 minutes sends nothing, and the page is the same', async () => {
    const member = await createMember(idp, { mobile: '98765401' });
    const pages: Page[] = [];
    for (let i = 0; i < 4; i++) pages.push(await order(idp, rp, { member_number: member.memberNumber!, channel: 'sms', contact: '98765401' }));
    assert.equal(await sentTo(idp, '+4798765401'), 3);
    assert.equal(pages[3]!.status, pages[0]!.status);
    assert.equal(normalise(pages[3]!.html), normalise(pages[0]!.html));
    const reasons = await idp.db('audit_log').where({ event: 'first_time_password.ordered', account_id: member.id }).pluck('detail');
    assert.equal(JSON.parse(reasons.at(-1)!).reason, 'limited_recipient', 'the operator sees why');
  });

  test('one IP cannot order for many members past its hourly limit', async () => {
    // 4 orders were made from this IP above; 2 more pass, the 7th is refused at once (429), recorded nothing.
    const members = await Promise.all([0, 1, 2].map((i) => createMember(idp, { mobile: `9876550${i}` })));
    const pages: Page[] = [];
    for (const member of members) pages.push(await order(idp, rp, { member_number: member.memberNumber!, channel: 'sms', contact: member.mobile! }));
    assert.deepEqual(pages.map((page) => page.status), [200, 200, 429]);
    assert.equal(await sentTo(idp, members[0]!.mobile!), 1);
    assert.equal(await sentTo(idp, members[1]!.mobile!), 1);
    assert.equal(await sentTo(idp, members[2]!.mobile!), 0);
    const ordered = await idp.db('audit_log').where({ event: 'first_time_password.ordered' }).whereIn('account_id', members.map((m) => m.id)).pluck('account_id');
    assert.deepEqual(ordered.sort(), [members[0]!.id, members[1]!.id].sort(), 'the refused order was never recorded');
  });
});

describe('across a window boundary', () => {
  let idp: TestIdp;
  let rp: Rp;
  // 5 seconds before a quarter-hour on the clock, where fixed windows would start afresh.
  let clock = Math.ceil(Date.now() / (15 * 60_000)) * 15 * 60_000 - 5000;
  before(async () => {
    idp = await startIdp({ SEND_LIMIT_RECIPIENT_15MIN: '3', SEND_LIMIT_RECIPIENT_DAY: '10' }, { now: () => clock });
    rp = await registerRp(idp);
  });
  after(() => idp.close());

  test('one recipient gets at most 3 first-time passwords in any 15 minutes, even astride a quarter-hour', async () => {
    const member = await createMember(idp, { mobile: '98765499' });
    for (let i = 0; i < 6; i++) {
      await order(idp, rp, { member_number: member.memberNumber!, channel: 'sms', contact: '98765499' });
      clock += 2000; // 6 orders in 12 seconds, 3 on each side of the boundary
    }
    assert.equal(await sentTo(idp, '+4798765499'), 3);
  });
});

const METRICS_TOKEN = 'metrics-token-0123456789abcdefghijklmnop';

describe('the global SMS budget', () => {
  let idp: TestIdp;
  let rp: Rp;
  const logs = captureLogs();
  before(async () => {
    // The server's clock starts in the middle of an hour and runs on: the alert is raised once per
    // clock hour, and this test must not cross into the next.
    const hour = 3600_000;
    const started = Date.now();
    const midHour = Math.floor(started / hour) * hour + hour / 2;
    idp = await startIdp({ SMS_BUDGET_HOUR: '2', METRICS_TOKEN: METRICS_TOKEN }, { logger: logs.logger, now: () => midHour + (Date.now() - started) });
    rp = await registerRp(idp, { login: 'business', name: 'Bedriftsportalen' });
  });
  after(() => idp.close());

  test('once spent, SMS stops (first-time passwords and codes alike), e-mail still goes, and an alert is raised', async () => {
    const rpMember = await registerRp(idp);
    const members = await Promise.all([0, 1, 2].map((i) => createMember(idp, { mobile: `4123450${i}` })));
    for (const member of members) await order(idp, rpMember, { member_number: member.memberNumber!, channel: 'sms', contact: member.mobile! });
    assert.deepEqual(await Promise.all(members.map((m) => sentTo(idp, m.mobile!))), [1, 1, 0]);
    assert.equal(logs.records().filter((line) => line.alert === 'sms_budget_spent' && /ALERT SMS budget spent/.test(line.msg)).length, 1);

    // A business code by SMS is refused too; by e-mail it goes.
    const user = await createBusinessUser(idp, { email: 'budsjett@firma.example', mobile: '41234599' });
    const askForCode = async (channel: 'email' | 'sms', address: string) => {
      const browser = new Browser();
      const { page } = await rp.start(browser);
      const href = /href="([^"]+\/business\/activate)"/.exec(page.html)![1]!;
      const request = await browser.go(new URL(href, page.url));
      return browser.submit(request, { [channel === 'email' ? 'email' : 'mobile']: address }, { action: new RegExp(`/${channel}$`) });
    };
    const bySms = await askForCode('sms', '41234599');
    const byMail = await askForCode('email', user.email!);
    for (const page of [bySms, byMail]) {
      assert.equal(page.status, 200);
      assert.match(textOf(page.html), /Dersom (mobilnummeret ditt|e-postadressen din) er registrert hos oss, får du en engangskode/, 'the usual answer');
    }
    assert.equal(await sentTo(idp, '+4741234599'), 0);
    assert.equal(await sentTo(idp, user.email!), 1);

    // Monitoring sees it too: /metrics (behind its token) counts the alert and the SMS spent.
    assert.equal((await fetch(`${idp.issuer}/metrics`)).status, 404, 'no token, no metrics');
    const metrics = await (await fetch(`${idp.issuer}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    assert.match(metrics, /^hk_audit_events_total\{event="alert.sms_budget_spent"\} 1$/m);
    assert.match(metrics, /^hk_sms_budget_hour 2$/m);
    assert.equal(Number(/^hk_sms_sent_this_hour (\d+)$/m.exec(metrics)![1]), 2, 'the refused SMS are not counted as sent');
  });
});
