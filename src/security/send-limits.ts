// Limits on sending first-time passwords and one-time codes: SMS costs money and can be abused
// (SMS pumping, flooding someone's phone). Checked before anything is issued or sent; a refused send
// looks exactly like a normal one to the person asking.
import type { Channel } from '../delivery/delivery.ts';
import type { CounterStore } from './counters.ts';

export type SendLimits = {
  /** Messages to one recipient (number or address) per 15 minutes, and per day. */
  perRecipientQuarter: number;
  perRecipientDay: number;
  /** Send requests from one IP per hour. */
  perIpHour: number;
  /** The SMS budget of the whole service, per hour and per day. */
  smsPerHour: number;
  smsPerDay: number;
};

export type SendRefusal = 'recipient' | 'ip' | 'sms_budget';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Claims one send to `recipient` (the normalised address) asked for from `ip`. Every request is
 * counted, refused or not, so a flood stays refused; the SMS budget counts only sends that pass the
 * other limits. `alert` is told when the SMS budget is spent.
 */
export async function claimSend(
  counters: CounterStore,
  limits: SendLimits,
  request: { channel: Channel; recipient: string; ip: string; now: number },
  alert: (message: string) => void,
): Promise<{ allowed: true } | { allowed: false; reason: SendRefusal }> {
  const { channel, recipient, ip, now } = request;
  const [quarter, day, perIp] = await Promise.all([
    counters.increment(`send:${channel}:${recipient}`, 15 * MINUTE, now),
    counters.increment(`send-day:${channel}:${recipient}`, DAY, now),
    counters.increment(`send-ip:${ip}`, HOUR, now),
  ]);
  if (quarter > limits.perRecipientQuarter || day > limits.perRecipientDay) return { allowed: false, reason: 'recipient' };
  if (perIp > limits.perIpHour) return { allowed: false, reason: 'ip' };
  if (channel === 'sms') {
    const [hour, total] = await Promise.all([counters.increment('sms-budget', HOUR, now), counters.increment('sms-budget-day', DAY, now)]);
    if (hour > limits.smsPerHour || total > limits.smsPerDay) {
      // Once per window crossing is enough for an operator; later refusals stay quiet.
      if (hour === limits.smsPerHour + 1 || total === limits.smsPerDay + 1) {
        alert(`SMS budget spent (${hour} this hour, ${total} today; limits ${limits.smsPerHour}/h, ${limits.smsPerDay}/day): SMS stopped`);
      }
      return { allowed: false, reason: 'sms_budget' };
    }
  }
  return { allowed: true };
}

export type SendGuard = (request: { channel: Channel; recipient: string; ip: string }) => Promise<{ allowed: true } | { allowed: false; reason: SendRefusal }>;

/** `claimSend` with its dependencies bound, as the core's sending functions take it. */
export function createSendGuard(counters: CounterStore, limits: SendLimits, now: () => number, alert: (message: string) => void): SendGuard {
  return (request) => claimSend(counters, limits, { ...request, now: now() }, alert);
}
