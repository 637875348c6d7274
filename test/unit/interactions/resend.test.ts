// "Send a code, wait, send again", the one strategy of the business code and first-time password
// flows: the first send goes at once, the same again only after the wait, nothing past the IP's
// hourly allowance, and every refusal leaves the flow untouched.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LoadedInteraction } from '../../../interactions/flow.ts';
import { sendAfterWait, type Sent } from '../../../interactions/resend.ts';
import { createDbCounterStore, type CounterStore } from '../../../src/security/counters.ts';
import type { SendLimits } from '../../../src/security/send-limits.ts';
import { testDb } from '../../support/db.ts';

const sendLimits: SendLimits = { perRecipientQuarter: 3, perRecipientDay: 10, perIpHour: 3, smsPerHour: 5, smsPerDay: 8 };
const settings = { resendWait: 60, sendLimits };
let counters: CounterStore;
let close: () => Promise<void>;
before(async () => {
  const t = await testDb();
  counters = createDbCounterStore(t.db);
  close = t.close;
});
after(() => close());

/** A sign-in with no flow state saved yet (what sendAfterWait reads of it). */
const sign = (uid: string) => ({ uid, details: {} }) as unknown as LoadedInteraction;

function request(ip: string) {
  const headers: Record<string, string> = {};
  return { ip, headers, set: (name: string, value: string) => void (headers[name] = value) };
}

test('the first send goes at once; the same again only once the wait is over, counted', async () => {
  let now = Date.UTC(2026, 11, 3, 8, 0);
  const sends: Sent[] = [];
  const deps = { settings, counters, now: () => now };
  const send = async (sent: Sent) => void sends.push(sent);

  const first = await sendAfterWait(request('10.0.1.1'), deps, sign('flow-1'), ['a@example.org'], undefined, send);
  assert.deepEqual(first, { outcome: 'sent', sent: { sentAt: now, sends: 1 } });
  now += 59_001;
  assert.deepEqual(await sendAfterWait(request('10.0.1.1'), deps, sign('flow-1'), ['a@example.org'], sends[0], send), { outcome: 'too_soon', secondsLeft: 1 });
  now += 999;
  assert.deepEqual(await sendAfterWait(request('10.0.1.1'), deps, sign('flow-1'), ['a@example.org'], sends[0], send), { outcome: 'sent', sent: { sentAt: now, sends: 2 } });
  // Something else (another address) is no "again": it goes at once, as a first send.
  assert.deepEqual(await sendAfterWait(request('10.0.1.1'), deps, sign('flow-1'), ['b@example.org'], undefined, send), { outcome: 'sent', sent: { sentAt: now, sends: 1 } });
  assert.equal(sends.length, 3, 'a send too soon did nothing');
});

test('past the IP’s hourly allowance nothing is sent, and the answer says when to ask again', async () => {
  const now = Date.UTC(2026, 11, 3, 9, 0);
  const deps = { settings, counters, now: () => now };
  let sends = 0;
  const send = async () => void sends++;
  for (let i = 0; i < sendLimits.perIpHour; i++) assert.equal((await sendAfterWait(request('10.0.2.1'), deps, sign(`flow-2-${i}`), [], undefined, send)).outcome, 'sent');
  const refused = request('10.0.2.1');
  assert.deepEqual(await sendAfterWait(refused, deps, sign('flow-2-last'), [], undefined, send), { outcome: 'limited' });
  assert.ok(Number(refused.headers['Retry-After']) > 0);
  assert.equal(sends, sendLimits.perIpHour);
  assert.equal((await sendAfterWait(request('10.0.3.1'), deps, sign('flow-3'), [], undefined, send)).outcome, 'sent', 'another IP is unaffected');
});

test('requests that read the same state at once (a double click): exactly one sends, each time', async () => {
  let now = Date.UTC(2026, 11, 3, 10, 0);
  const deps = { settings, counters, now: () => now };
  const sends: Sent[] = [];
  const send = async (sent: Sent) => void sends.push(sent);
  const clicks = (previous: Sent | undefined) =>
    Promise.all(Array.from({ length: 8 }, (_, i) => sendAfterWait(request(`10.0.4.${i}`), deps, sign('flow-4'), ['c@example.org'], previous, send)));
  const first = await clicks(undefined);
  assert.equal(first.filter((answer) => answer.outcome === 'sent').length, 1, 'one of 8 first sends');
  assert.ok(first.every((answer) => answer.outcome === 'sent' || (answer.outcome === 'too_soon' && answer.secondsLeft === 60)));
  // Meanwhile another address of the same sign-in is not held up.
  assert.equal((await sendAfterWait(request('10.0.4.9'), deps, sign('flow-4'), ['d@example.org'], undefined, send)).outcome, 'sent');
  now += 60_000;
  const again = await clicks(sends[0]);
  assert.equal(again.filter((answer) => answer.outcome === 'sent').length, 1, 'one of 8 sends again, once the wait is over');
  assert.equal(sends.length, 3);
});
