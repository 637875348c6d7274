import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDbCounterStore, type CounterStore } from '../../../src/security/counters.ts';
import { claimSend, type SendLimits } from '../../../src/security/send-limits.ts';
import { testDb } from '../../support/db.ts';

const limits: SendLimits = { perRecipientQuarter: 3, perRecipientDay: 10, perIpHour: 20, smsPerHour: 5, smsPerDay: 8 };
let counters: CounterStore;
let close: () => Promise<void>;
before(async () => {
  const t = await testDb();
  counters = createDbCounterStore(t.db);
  close = t.close;
});
after(() => close());

const alerts: string[] = [];
const send = (recipient: string, ip: string, now: number, channel: 'sms' | 'email' = 'email', matched = true) =>
  claimSend(counters, limits, { channel, recipient, ip, now, matched }, (m) => alerts.push(m));

test('3 per recipient per 15 minutes, 10 per day', async () => {
  const t = Date.UTC(2026, 10, 22, 8, 0);
  for (let i = 0; i < 3; i++) assert.deepEqual(await send('kari@example.org', `10.0.0.${i}`, t + i), { allowed: true });
  assert.deepEqual(await send('kari@example.org', '10.0.0.9', t + 10), { allowed: false, reason: 'recipient' });
  assert.deepEqual(await send('ola@example.org', '10.0.0.9', t + 10), { allowed: true }, 'another recipient is unaffected');
  // One a quarter never meets the 15-minute limit, but the day's 10 is the end (4 counted already).
  for (let q = 1; q <= 6; q++) assert.equal((await send('kari@example.org', '10.0.1.1', t + q * 15 * 60_000)).allowed, true, `quarter ${q}`);
  assert.deepEqual(await send('kari@example.org', '10.0.1.2', t + 7 * 15 * 60_000), { allowed: false, reason: 'recipient' });
});

test('20 per IP per hour', async () => {
  const t = Date.UTC(2026, 10, 23, 8, 0);
  for (let i = 0; i < 20; i++) assert.equal((await send(`p${i}@example.org`, '192.0.2.1', t)).allowed, true);
  assert.deepEqual(await send('p99@example.org', '192.0.2.1', t), { allowed: false, reason: 'ip' });
});

test('the SMS budget stops SMS (not e-mail) and alerts once', async () => {
  const t = Date.UTC(2026, 10, 24, 8, 0);
  for (let i = 0; i < 5; i++) assert.equal((await send(`+4790000${i}00`, `198.51.100.${i}`, t, 'sms')).allowed, true);
  assert.deepEqual(await send('+4790000900', '198.51.100.9', t, 'sms'), { allowed: false, reason: 'sms_budget' });
  assert.deepEqual(await send('+4790000901', '198.51.100.9', t, 'sms'), { allowed: false, reason: 'sms_budget' });
  assert.equal(alerts.length, 1);
  assert.match(alerts[0]!, /SMS budget spent/);
  assert.equal((await send('x@example.org', '198.51.100.9', t)).allowed, true, 'e-mail still goes');
});

test('requests that match nobody count against their requester only: they cannot block a recipient or spend the budget', async () => {
  const t = Date.UTC(2026, 10, 25, 8, 0);
  for (let i = 0; i < 15; i++) assert.equal((await send('+4791111111', `203.0.113.${i}`, t, 'sms', false)).allowed, true);
  assert.equal((await send('+4791111111', '203.0.113.99', t, 'sms')).allowed, true, 'the real owner still gets one');
  assert.equal(await counters.peek('sms-budget', 3600_000, t), 1, 'only the real send is in the budget');
  for (let i = 0; i < 20; i++) await send(`nobody${i}@example.org`, '203.0.113.200', t + 1, 'email', false);
  assert.deepEqual(await send('x@example.org', '203.0.113.200', t + 1), { allowed: false, reason: 'ip' }, 'the requester is still limited');
});

test('IPv6: one /64 is one requester; an IPv4-mapped address is its IPv4 address', async () => {
  const t = Date.UTC(2026, 10, 26, 8, 0);
  for (let i = 0; i < 20; i++) assert.equal((await send(`v6-${i}@example.org`, `2001:db8:1:2::${i.toString(16)}`, t)).allowed, true);
  assert.deepEqual(await send('v6-x@example.org', '2001:db8:1:2:ffff:ffff:ffff:ffff', t), { allowed: false, reason: 'ip' });
  assert.equal((await send('v6-y@example.org', '2001:db8:1:3::1', t)).allowed, true, 'another /64');
  for (let i = 0; i < 20; i++) await send(`v4-${i}@example.org`, '198.51.100.77', t);
  assert.deepEqual(await send('v4-x@example.org', '::ffff:198.51.100.77', t), { allowed: false, reason: 'ip' });
});
