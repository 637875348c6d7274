// "Send again" for codes and first-time passwords: within one sign-in, the same thing is not sent
// again before `settings.resendWait` seconds have passed (a newer code replaces the older one, so a
// second click while the first message is on its way would only make that one useless). The wait
// is shown and counted down on the page (/static/hk.js) and enforced here.
import type { Language } from '../config/vocabulary.ts';
import { html, type Html } from './html.ts';
import { t, tPlural, type TextKey } from './i18n.ts';
import type { FieldError } from './layout.ts';

/** The id of the resend button, which the wait error links to. */
export const RESEND_FIELD = 'resend';

export type ResendTexts = 'business.resend' | 'ftp.resend';

/** Whole seconds left before the next send is allowed (0 = now). */
export function secondsToWait(sentAt: number | undefined, now: number, waitSeconds: number): number {
  if (sentAt === undefined) return 0;
  return Math.max(0, Math.ceil((sentAt + waitSeconds * 1000 - now) / 1000));
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
