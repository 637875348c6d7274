import type { Language } from '../../config/vocabulary.ts';
import type { Channel } from '../../src/delivery/delivery.ts';
import { PASSWORD_MAX_LENGTH } from '../../src/accounts/password-policy.ts';
import { html, type Html } from '../html.ts';
import { t } from '../i18n.ts';
import type { ContactPhone } from '../../config/settings.ts';
import { field, readableAddress, withContactLinks, type FieldError } from '../layout.ts';
import { validity } from '../messages.ts';
import { resendForm } from '../resend.ts';

export type Purpose = 'activate' | 'reset';

export const purposeTitle = (lang: Language, purpose: Purpose) => t(lang, purpose === 'activate' ? 'business.activate.title' : 'business.reset.title');

/** The page title: the step, then the task ("Få engangskode – Aktiver brukerkonto"). */
export const stepTitle = (lang: Language, purpose: Purpose, step: 'code' | 'password' | 'verified') =>
  `${t(lang, `business.step.${step}`)} – ${purposeTitle(lang, purpose)}`;

/** Step 1: the address to send a code to, by e-mail or by SMS (one form each, so either works without script). */
export function codeRequestView(options: {
  lang: Language;
  uid: string;
  csrf: string;
  purpose: Purpose;
  values?: { email?: string; mobile?: string };
  errors?: FieldError[];
}): Html {
  const { lang, uid, purpose, errors } = options;
  const action = (channel: 'email' | 'sms') => `/interaction/${uid}/business/${purpose}/${channel}`;
  return html`<h1>${purposeTitle(lang, purpose)}</h1>
<p>${t(lang, 'business.code.intro')}</p>
<p>${t(lang, 'business.code.choose')}</p>
<form method="post" action="${action('email')}" novalidate>
  <input type="hidden" name="csrf" value="${options.csrf}">
  ${field({ name: 'email', label: t(lang, 'business.code.email'), type: 'email', value: options.values?.email, autocomplete: 'email', errors, maxlength: 254 })}
  <div class="actions"><button type="submit">${t(lang, 'business.code.send_email')}</button></div>
</form>
<p class="or"><span>${t(lang, 'business.code.or')}</span></p>
<form method="post" action="${action('sms')}" novalidate>
  <input type="hidden" name="csrf" value="${options.csrf}">
  ${field({ name: 'mobile', label: t(lang, 'business.code.mobile'), type: 'tel', value: options.values?.mobile, autocomplete: 'tel', hint: t(lang, 'business.code.mobile_hint'), errors, maxlength: 32 })}
  <div class="actions"><button type="submit">${t(lang, 'business.code.send_sms')}</button></div>
</form>
<p><a href="/interaction/${uid}">${t(lang, 'business.code.cancel')}</a></p>`;
}

/** Step 2: the code and the new password, on one page as in HK's help text. */
export function passwordView(options: {
  lang: Language;
  uid: string;
  csrf: string;
  purpose: Purpose;
  /** The code was accepted earlier in this flow: only the password is still missing. */
  verified: boolean;
  channel: Channel;
  /** The address as typed (normalised): shown so a typo can be seen, and given to password managers. */
  address: string;
  /** How many codes this flow has asked for. */
  sends: number;
  secondsLeft: number;
  minLength: number;
  codeMinutes: number;
  contactEmail: string;
  contactPhone?: ContactPhone | null;
  errors?: FieldError[];
}): Html {
  const { lang, uid, errors } = options;
  const contact = { email: options.contactEmail, phone: options.contactPhone };
  return html`<h1>${purposeTitle(lang, options.purpose)}</h1>
${options.verified
    ? html`<div class="status" role="status"><p>${t(lang, 'business.password.verified')}</p></div>`
    : html`<div class="status" role="status">
  ${options.sends > 1 ? html`<p><strong>${t(lang, 'business.resend.sent')}</strong></p>` : ''}
  <p>${t(lang, options.channel === 'email' ? 'business.password.sent_to_email' : 'business.password.sent_to_sms', { address: readableAddress(options.address) })}</p>
  <p>${t(lang, options.channel === 'email' ? 'business.password.sent_email' : 'business.password.sent_sms')}</p>
  <p>${withContactLinks(lang, t(lang, contact.phone ? 'business.password.contact_phone' : 'business.password.contact'), contact)}</p>
</div>`}
<form method="post" action="/interaction/${uid}/business/password" novalidate>
  <input type="hidden" name="csrf" value="${options.csrf}">
  ${options.channel === 'email' ? html`<input type="hidden" name="username" value="${options.address}" autocomplete="username">` : ''}
  ${options.verified ? '' : field({ name: 'code', label: t(lang, 'business.password.code'), autocomplete: 'one-time-code', inputmode: 'numeric', hint: t(lang, 'business.password.code_hint', { valid: validity(lang, options.codeMinutes) }), errors, maxlength: 20 })}
  ${field({ name: 'password', label: t(lang, 'business.password.new'), type: 'password', autocomplete: 'new-password', hint: t(lang, 'business.password.new_hint', { min: options.minLength }), errors, maxlength: PASSWORD_MAX_LENGTH })}
  ${field({ name: 'confirm', label: t(lang, 'business.password.confirm'), type: 'password', autocomplete: 'new-password', errors, maxlength: PASSWORD_MAX_LENGTH })}
  <div class="actions"><button type="submit">${t(lang, 'business.password.submit')}</button> <a href="/interaction/${uid}">${t(lang, 'business.password.cancel')}</a></div>
</form>
${options.verified
    ? ''
    : html`<h2>${t(lang, 'business.resend.heading')}</h2>
${resendForm({ lang, texts: 'business.resend', action: `/interaction/${uid}/business/resend`, csrf: options.csrf, secondsLeft: options.secondsLeft })}
<p><a href="/interaction/${uid}/business/${options.purpose}">${t(lang, 'business.code.other_address')}</a></p>`}`;
}

/** Step 3: done; the e-mail address is the login name from now on. */
export function doneView(options: { lang: Language; uid: string; csrf: string; activated: boolean; email: string; clientName: string }): Html {
  const { lang } = options;
  return html`<h1>${t(lang, options.activated ? 'business.done.activated' : 'business.done.reset')}</h1>
<div class="status" role="status"><p>${t(lang, 'business.done.login_name', { email: options.email })}</p></div>
<form method="post" action="/interaction/${options.uid}/business/continue">
  <input type="hidden" name="csrf" value="${options.csrf}">
  <div class="actions"><button type="submit">${t(lang, 'business.done.continue', { client: options.clientName })}</button></div>
</form>`;
}
