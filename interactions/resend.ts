// "Send a code, wait, send again": the one strategy of every flow that sends something to a person
// (the first-time password, the business code). Within one sign-in the same thing is not sent again
// before `settings.resendWait` seconds have passed (a newer code replaces the older one, so a second
// click while the first message is on its way would only make that one useless), and no order is
// recorded past this IP's hourly allowance (claimOrderRequest). The wait is shown and counted down
// on the page (/static/hk.js) and enforced here: by the flow's state, and, for requests that read the
// same state at once (a double click), by a claim that only one of them wins.
import { z } from 'zod';
import type { Settings } from '../config/settings.ts';
import type { Language } from '../config/vocabulary.ts';
import type { CounterStore } from '../src/security/counters.ts';
import { digestOf } from '../src/security/digest.ts';
import { claimOrderRequest, ORDER_RETRY_AFTER_SECONDS } from '../src/security/send-limits.ts';
import { flowVersion, type LoadedInteraction } from './flow.ts';
import { html, type Html } from './html.ts';
import { t, tPlural, type TextKey } from './i18n.ts';
import type { FieldError } from './layout.ts';

/** The id of the resend button, which the wait error links to. */
export const RESEND_FIELD = 'resend';

export type ResendTexts = 'business.resend' | 'ftp.resend';

/** How long a send's claim holds at least: longer than any request that reads a flow state and sends. */
const CLAIM_SECONDS = 30;

/** What a flow remembers of its sends: when the last one went (epoch ms), and how many went. */
export type Sent = { sentAt: number; sends: number };

/** The same, as fields of a flow's state schema. */
export const sentFields = { sentAt: z.number().int(), sends: z.number().int().positive() };

/** Whole seconds left before the next send is allowed (0 = now). */
export function secondsToWait(sentAt: number | undefined, now: number, waitSeconds: number): number {
  if (sentAt === undefined) return 0;
  return Math.max(0, Math.ceil((sentAt + waitSeconds * 1000 - now) / 1000));
}

export type SendOutcome =
  /** `send` ran: the order is recorded and the flow's state saved with `sent`. */
  | { outcome: 'sent'; sent: Sent }
  /** Nothing done: the last send of the same thing was less than the wait ago. */
  | { outcome: 'too_soon'; secondsLeft: number }
  /** Nothing done: this IP has ordered too much (Retry-After is set; the caller shows why). */
  | { outcome: 'limited' };

/**
 * Sends once the wait is over and the IP may order. `what` names the thing and its address in this
 * sign-in's `interaction`; `previous` is this flow's last send of it (undefined when there was none, or
 * it was something else: then it goes at once); `send` records the order and saves the flow's state
 * with the new `sent`.
 */
export async function sendAfterWait(
  /** The request (a koa Context): its IP, and where Retry-After is set. */
  ctx: { ip: string; set(field: string, value: string): void },
  deps: { settings: Pick<Settings, 'resendWait' | 'sendLimits'>; counters: CounterStore; now: () => number },
  interaction: Pick<LoadedInteraction, 'uid' | 'details'>,
  what: readonly string[],
  previous: Sent | undefined,
  send: (sent: Sent) => Promise<void>,
): Promise<SendOutcome> {
  const now = deps.now();
  const waitSeconds = deps.settings.resendWait;
  const secondsLeft = secondsToWait(previous?.sentAt, now, waitSeconds);
  if (secondsLeft > 0) return { outcome: 'too_soon', secondsLeft };
  // Parallel requests all read the flow state from before any of them sent: of those sending the same
  // thing on the same state, one wins the claim. (Hashed: the key holds no address. Held at least
  // CLAIM_SECONDS, so a double click is caught even with no wait configured; a send saves a new state.)
  const claim = digestOf([interaction.uid, flowVersion(interaction), ...what].join('\n'));
  if (!(await deps.counters.once(`send-wait:${claim}`, now, Math.max(waitSeconds, CLAIM_SECONDS) * 1000))) {
    return { outcome: 'too_soon', secondsLeft: Math.max(waitSeconds, 1) };
  }
  if (!(await claimOrderRequest(deps.counters, deps.settings.sendLimits, ctx.ip, now))) {
    ctx.set('Retry-After', String(ORDER_RETRY_AFTER_SECONDS));
    return { outcome: 'limited' };
  }
  const sent = { sentAt: now, sends: (previous?.sends ?? 0) + 1 };
  await send(sent);
  return { outcome: 'sent', sent };
}

const key = (texts: ResendTexts, name: string) => `${texts}.${name}` as TextKey;

export function waitError(lang: Language, texts: ResendTexts, seconds: number): FieldError {
  return { field: RESEND_FIELD, message: t(lang, key(texts, 'too_soon'), { seconds }) };
}

/** The resend form: a note saying how long to wait (counted down with script) and the button. */
export function resendForm(options: { lang: Language; texts: ResendTexts; action: string; csrf: string; secondsLeft: number }): Html {
  const { lang, texts, secondsLeft } = options;
  const note = secondsLeft > 0 ? t(lang, key(texts, 'wait'), { seconds: secondsLeft }) : t(lang, key(texts, 'ready'));
  return html`<form class="resend" method="post" action="${options.action}" novalidate>
  <input type="hidden" name="csrf" value="${options.csrf}">
  <p class="hint" id="resend-note" data-button="${RESEND_FIELD}" data-wait="${secondsLeft}" data-plural="${JSON.stringify(tPlural(lang, key(texts, 'wait'), 'seconds'))}" data-ready="${t(lang, key(texts, 'ready'))}">${note}</p>
  <button type="submit" class="secondary" id="${RESEND_FIELD}" aria-describedby="resend-note">${t(lang, key(texts, 'submit'))}</button>
</form>`;
}
