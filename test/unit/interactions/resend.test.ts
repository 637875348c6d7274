// "Send a code, wait, send again", the one strategy of the business code and first-time password
// flows: the first send goes at once, the same again only after the wait, nothing past the IP's
// hourly allowance, and every refusal leaves the flow untouched.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
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

function request(ip: string) {
  const headers: Record<string, string> = {};
  return { ip, headers, set: (name: string, value: string) => void (headers[name] = value) };
}

test('the first send goes at once; the same again only once the wait is over, counted', async () => {
  let now = Date.UTC(2026, 11, 3, 8, 0);
  const sends: Sent[] = [];
  const deps = { settings, counters, now: () => now };
  const send = async (sent: Sent) => void sends.push(sent);

  const first = await sendAfterWait(request('10.0.1.1'), deps, undefined, send);
  assert.deepEqual(first, { outcome: 'sent', sent: { sentAt: now, sends: 1 } });
  now += 59_001;
  assert.deepEqual(await sendAfterWait(request('10.0.1.1'), deps, sends[0], send), { outcome: 'too_soon', secondsLeft: 1 });
  now += 999;
  assert.deepEqual(await sendAfterWait(request('10.0.1.1'), deps, sends[0], send), { outcome: 'sent', sent: { sentAt: now, sends: 2 } });
  // Something else (another address) is no "again": it goes at once, as a first send.
  assert.deepEqual(await sendAfterWait(request('10.0.1.1'), deps, undefined, send), { outcome: 'sent', sent: { sentAt: now, sends: 1 } });
  assert.equal(sends.length, 3, 'a send too soon did nothing');
});

test('past the IP’s hourly allowance nothing is sent, and the answer says when to ask again', async () => {
  const now = Date.UTC(2026, 11, 3, 9, 0);
  const deps = { settings, counters, now: () => now };
  let sends = 0;
  const send = async () => void sends++;
  for (let i = 0; i < sendLimits.perIpHour; i++) assert.equal((await sendAfterWait(request('10.0.2.1'), deps, undefined, send)).outcome, 'sent');
  const refused = request('10.0.2.1');
  assert.deepEqual(await sendAfterWait(refused, deps, undefined, send), { outcome: 'limited' });
  assert.ok(Number(refused.headers['Retry-After']) > 0);
  assert.equal(sends, sendLimits.perIpHour);
  assert.equal((await sendAfterWait(request('10.0.3.1'), deps, undefined, send)).outcome, 'sent', 'another IP is unaffected');
});
