// Limits on sending first-time passwords and one-time codes: SMS costs money and can be abused
// (SMS pumping, flooding someone's phone). A refused send looks exactly like a normal one to the
// person asking.
import type { Channel } from '../delivery/delivery.ts';
import { SLICES, type CounterStore } from './counters.ts';
import { digestOf } from './digest.ts';
import { limitKey } from './ip.ts';
import type { SendLimits } from '../../config/settings.ts';

export type { SendLimits };

export type SendRefusal = 'recipient' | 'ip' | 'sms_budget';

export type SendRequest = {
  channel: Channel;
  /** The normalised address the message would go to. */
  recipient: string;
  /** Who asks: an IP address, or `caseworker:<name>` for a caseworker's quota. */
  ip: string;
  /** Whether a message would really go out (the contact matched an account). */
  matched: boolean;
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// Recipient keys are hashed: an address of any length fits the key column, and none is stored as is.
const recipientKey = (channel: Channel, recipient: string) => `${channel}:${digestOf(recipient)}`;

/**
 * Claims one send. Every request counts against its requester (so a flood from one place stays
 * refused); only a send that would really go out counts against its recipient and the SMS budget, so
 * requests that match nobody can neither block a member's way back in nor spend the budget. A request
 * that would send nothing does the same counting on keys no limit reads, so timing does not tell.
 *
 * Windows slide (see counters.ts): nobody gets more than the limit in any 15 minutes, hour or day,
 * whatever the clock says. Each limit is claimed by adding first and reading the total after (so of
 * a crowd, at most the limit see a total within it); a refused send gives back what it added to
 * its recipient and the budget, so only sends that go out are counted there. `alert` is told once an
 * hour (across instances) when the SMS budget refuses a send.
 */
export async function claimSend(
  counters: CounterStore,
  limits: SendLimits,
  request: SendRequest & { now: number },
  alert: (message: string) => void,
): Promise<{ allowed: true } | { allowed: false; reason: SendRefusal }> {
  const { channel, matched, now } = request;
  const requester = request.ip.startsWith('caseworker:') ? request.ip : limitKey(request.ip);
  if ((await counters.increment(`send-ip:${requester}`, HOUR, now)) > limits.perIpHour) return { allowed: false, reason: 'ip' };

  const target = matched ? recipientKey(channel, request.recipient) : 'none';
  const claimed: [key: string, windowMs: number][] = [
    [`send:${target}`, 15 * MINUTE],
    [`send-day:${target}`, DAY],
  ];
  const claim = (windows: typeof claimed) => Promise.all(windows.map(([key, windowMs]) => counters.increment(key, windowMs, now)));
  const [quarter, day] = await claim(claimed);
  let refusal: SendRefusal | undefined = matched && (quarter! > limits.perRecipientQuarter || day! > limits.perRecipientDay) ? 'recipient' : undefined;

  if (!refusal && channel === 'sms') {
    const budget = matched ? 'sms-budget' : 'sms-none';
    const spending: typeof claimed = [
      [budget, HOUR],
      [`${budget}-day`, DAY],
    ];
    claimed.push(...spending);
    const [hour, total] = await claim(spending);
    if (matched && (hour! > limits.smsPerHour || total! > limits.smsPerDay)) {
      refusal = 'sms_budget';
      if (await counters.once(`alert:sms-budget@${Math.floor(now / HOUR)}`, now, HOUR)) {
        alert(`SMS budget spent (${hour! - 1} in the last hour, ${total! - 1} in the last day; limits ${limits.smsPerHour}/h, ${limits.smsPerDay}/day): SMS stopped`);
      }
    }
  }
  if (!refusal) return { allowed: true };
  await Promise.all(claimed.map(([key, windowMs]) => counters.increment(key, windowMs, now, -1)));
  return { allowed: false, reason: refusal };
}

export type SendGuard = (request: SendRequest) => Promise<{ allowed: true } | { allowed: false; reason: SendRefusal }>;

/** `claimSend` with its dependencies bound, as the core's sending functions take it. */
export function createSendGuard(counters: CounterStore, limits: SendLimits, now: () => number, alert: (message: string) => void): SendGuard {
  return (request) => claimSend(counters, limits, { ...request, now: now() }, alert);
}

/** How long a refused order request is told to wait: the sliding hour moves on by a tenth at a time. */
export const ORDER_RETRY_AFTER_SECONDS = HOUR / SLICES / 1000;

/**
 * At request time, before an order (first-time password, code) is recorded: orders from one IP
 * (IPv6: one /64) per hour, the same number as `perIpHour`, which the worker applies again when it
 * fulfils them — past it the worker would refuse every one, so recording them would only make real
 * members wait behind a queue of orders that send nothing. Keyed on the IP only and counted for every
 * order whatever it matches, so the answer tells nothing about accounts. False when over the limit:
 * record nothing. A refused request still counts, so a flood from one place stays refused.
 */
export async function claimOrderRequest(counters: CounterStore, limits: Pick<SendLimits, 'perIpHour'>, ip: string, now: number): Promise<boolean> {
  return (await counters.increment(`order-ip:${limitKey(ip)}`, HOUR, now)) <= limits.perIpHour;
}
