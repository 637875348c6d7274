import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDbCounterStore, type CounterStore } from '../../../src/security/counters.ts';
import { claimSend, type SendLimits } from '../../../src/security/send-limits.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';

const limits: SendLimits = { perRecipientQuarter: 3, perRecipientDay: 10, perIpHour: 20, smsPerHour: 5, smsPerDay: 8 };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
let counters: CounterStore;
let db: Db;
let close: () => Promise<void>;
before(async () => {
  const t = await testDb();
  db = t.db;
  counters = createDbCounterStore(t.db);
  close = t.close;
});
after(() => close());

const alerts: string[] = [];
const send = (recipient: string, ip: string, now: number, channel: 'sms' | 'email' = 'email', matched = true, bounds: SendLimits = limits) =>
  claimSend(counters, bounds, { channel, recipient, ip, now, matched }, (m) => alerts.push(m));

test('3 per recipient in any 15 minutes, 10 in any day', async () => {
  const t = Date.UTC(2026, 10, 22, 8, 0);
  for (let i = 0; i < 3; i++) assert.deepEqual(await send('kari@example.org', `10.0.0.${i}`, t + i), { allowed: true });
  assert.deepEqual(await send('kari@example.org', '10.0.0.9', t + 10), { allowed: false, reason: 'recipient' });
  assert.deepEqual(await send('ola@example.org', '10.0.0.9', t + 10), { allowed: true }, 'another recipient is unaffected');
  // One every 17 minutes never meets the 15-minute limit, but the day's 10 is the end (3 sent already).
  for (let q = 1; q <= 7; q++) assert.equal((await send('kari@example.org', '10.0.1.1', t + q * 17 * MINUTE)).allowed, true, `send ${q}`);
  assert.deepEqual(await send('kari@example.org', '10.0.1.2', t + 8 * 17 * MINUTE), { allowed: false, reason: 'recipient' });
});

test('across a quarter-hour boundary one recipient still gets at most 3 in 15 minutes (the issue: 6 in 16 s)', async () => {
  const boundary = Date.UTC(2026, 10, 27, 8, 15);
  const results = [];
  for (let i = 0; i < 6; i++) results.push((await send('+4790001111', `10.2.0.${i}`, boundary - 8000 + i * 3000, 'sms')).allowed);
  assert.deepEqual(results, [true, true, true, false, false, false]);
  assert.equal((await send('+4790001111', '10.2.0.9', boundary - 8000 + 14 * MINUTE, 'sms')).allowed, false, 'still within 15 minutes of the first');
  assert.equal((await send('+4790001111', '10.2.0.9', boundary - 8000 + 17 * MINUTE, 'sms')).allowed, true, 'once 15 minutes (+ a tenth) have passed');
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

test('a burst across the hour boundary cannot spend twice the hourly budget', async () => {
  const bounds = { ...limits, smsPerHour: 5, smsPerDay: 1000, perIpHour: 1000 };
  const hour = Date.UTC(2026, 10, 28, 9, 0);
  let sent = 0;
  for (let i = 0; i < 10; i++) if ((await send(`+479100${String(i).padStart(4, '0')}`, '10.3.0.1', hour - 5000 + i * 1000, 'sms', true, bounds)).allowed) sent++;
  assert.equal(sent, 5, '5 in the last second of one clock hour and the first of the next are all one hour');
});

test('refused requests count against neither the budget nor the recipient', async () => {
  const t = Date.UTC(2026, 10, 29, 8, 0);
  const bounds = { ...limits, smsPerHour: 2, smsPerDay: 1000, perIpHour: 1000 };
  // The budget refuses: the recipient's quota is not touched by the refusals.
  assert.equal((await send('+4792000001', '10.4.0.1', t, 'sms', true, bounds)).allowed, true);
  assert.equal((await send('+4792000002', '10.4.0.1', t, 'sms', true, bounds)).allowed, true);
  for (let i = 0; i < 10; i++) assert.deepEqual(await send('+4792000003', '10.4.0.1', t, 'sms', true, bounds), { allowed: false, reason: 'sms_budget' });
  assert.equal(await counters.peek('sms-budget', HOUR, t), 2, 'the budget shows what went out (today it showed 65 with 30 sent)');
  assert.equal((await send('+4792000003', '10.4.0.1', t, 'email', true, bounds)).allowed, true);
  // The recipient refuses: 20 refused sends leave the budget and the recipient's day as they were.
  for (let i = 0; i < 2; i++) await send('+4792000004', '10.4.0.2', t + HOUR + 20 * MINUTE * i, 'sms', true, { ...bounds, smsPerHour: 1000 });
  for (let i = 0; i < 20; i++) await send('+4792000004', '10.4.0.2', t + HOUR + 25 * MINUTE, 'sms', true, { ...bounds, smsPerHour: 1000, perRecipientQuarter: 1 });
  assert.equal(await counters.peek('sms-budget', HOUR, t + HOUR + 25 * MINUTE), 2);
  const day = await send('+4792000004', '10.4.0.2', t + HOUR + 45 * MINUTE, 'sms', true, { ...bounds, smsPerHour: 1000, perRecipientDay: 3 });
  assert.equal(day.allowed, true, 'the third of three a day: the refused ones were not counted');
});

test('requests that match nobody count against their requester only: they cannot block a recipient or spend the budget', async () => {
  const t = Date.UTC(2026, 10, 25, 8, 0);
  for (let i = 0; i < 15; i++) assert.equal((await send('+4791111111', `203.0.113.${i}`, t, 'sms', false)).allowed, true);
  assert.equal((await send('+4791111111', '203.0.113.99', t, 'sms')).allowed, true, 'the real owner still gets one');
  assert.equal(await counters.peek('sms-budget', HOUR, t), 1, 'only the real send is in the budget');
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

test('hot keys are spread: a crowd of orders does not queue on one counter row', async () => {
  const t = Date.UTC(2026, 10, 30, 8, 0);
  const bounds = { ...limits, perIpHour: 1000, smsPerHour: 1000, smsPerDay: 1000 };
  // 64 orders at once that match nobody, and 64 real SMS to 64 members.
  await Promise.all(Array.from({ length: 64 }, (_, i) => send(`+4793${String(i).padStart(6, '0')}`, `10.5.${i}.1`, t, 'sms', false, bounds)));
  await Promise.all(Array.from({ length: 64 }, (_, i) => send(`+4794${String(i).padStart(6, '0')}`, `10.6.${i}.1`, t, 'sms', true, bounds)));
  for (const [key, windowMs] of [['send:none', 15 * MINUTE], ['sms-none', HOUR], ['sms-budget', HOUR]] as const) {
    const rows = await db('counter_slices').where({ key }).select('slice', 'shard', 'count');
    assert.ok(rows.length >= 4, `${key}: spread over ${rows.length} rows`);
    assert.equal(await counters.peek(key, windowMs, t), 64, `${key}: the rows add up`);
  }
});
