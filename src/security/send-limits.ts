// Limits on sending first-time passwords and one-time codes: SMS costs money and can be abused
// (SMS pumping, flooding someone's phone). A refused send looks exactly like a normal one to the
// person asking.
import { createHash } from 'node:crypto';
import type { Channel } from '../delivery/delivery.ts';
import type { CounterStore } from './counters.ts';
import { limitKey } from './ip.ts';

export type SendLimits = {
  /** Messages to one recipient (number or address) per 15 minutes, and per day. */
  perRecipientQuarter: number;
  perRecipientDay: number;
  /** Send requests from one IP (IPv6: one /64) per hour. */
  perIpHour: number;
  /** The SMS budget of the whole service, per hour and per day. */
  smsPerHour: number;
  smsPerDay: number;
};

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
const recipientKey = (channel: Channel, recipient: string) => `${channel}:${createHash('sha256').update(recipient).digest('base64url')}`;

/**
 * Claims one send. Every request counts against its requester (so a flood from one place stays
 * refused); only a send that would really go out counts against its recipient and the SMS budget, so
 * requests that match nobody can neither block a member's way back in nor spend the budget. A request
 * that would send nothing does the same counting on a key no limit reads, so timing does not tell.
 * `alert` is told when the SMS budget is spent.
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
  const [quarter, day] = await Promise.all([counters.increment(`send:${target}`, 15 * MINUTE, now), counters.increment(`send-day:${target}`, DAY, now)]);
  if (matched && (quarter > limits.perRecipientQuarter || day > limits.perRecipientDay)) return { allowed: false, reason: 'recipient' };

  if (channel === 'sms') {
    const budget = matched ? 'sms-budget' : 'sms-none';
    const [hour, total] = await Promise.all([counters.increment(budget, HOUR, now), counters.increment(`${budget}-day`, DAY, now)]);
    if (matched && (hour > limits.smsPerHour || total > limits.smsPerDay)) {
      // Once per window crossing is enough for an operator; later refusals stay quiet.
      if (hour === limits.smsPerHour + 1 || total === limits.smsPerDay + 1) {
        alert(`SMS budget spent (${hour} this hour, ${total} today; limits ${limits.smsPerHour}/h, ${limits.smsPerDay}/day): SMS stopped`);
      }
      return { allowed: false, reason: 'sms_budget' };
    }
  }
  return { allowed: true };
}

export type SendGuard = (request: SendRequest) => Promise<{ allowed: true } | { allowed: false; reason: SendRefusal }>;

/** `claimSend` with its dependencies bound, as the core's sending functions take it. */
export function createSendGuard(counters: CounterStore, limits: SendLimits, now: () => number, alert: (message: string) => void): SendGuard {
  return (request) => claimSend(counters, limits, { ...request, now: now() }, alert);
}
