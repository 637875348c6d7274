// Pages of the first-time password flow: ordering one, "check your SMS or e-mail", and first login.
import type { Language } from '../../config/vocabulary.ts';
import type { Channel } from '../../src/delivery/delivery.ts';
import { html, type Html } from '../html.ts';
import { t } from '../i18n.ts';
import { field, readableAddress, type FieldError } from '../layout.ts';
import { resendForm } from '../resend.ts';
import type { ContactPhone } from '../../config/settings.ts';
import { caseworkerHelp } from '../member-login/view.ts';

const backToLogin = (lang: Language, uid: string) => html`<a href="/interaction/${uid}">${t(lang, 'ftp.back_to_login')}</a>`;

export function orderView(options: {
  lang: Language;
  uid: string;
  csrf: string;
  wipeOnOrder: boolean;
  memberNumber?: string;
  channel?: Channel;
  mobile?: string;
  email?: string;
  errors?: FieldError[];
}): Html {
  const { lang, uid, errors } = options;
  const channel = options.channel ?? 'sms';
  // Each channel's field sits under its choice; without script both show, with it only the chosen one.
  const choice = (value: Channel, contactField: Html) =>
    html`<div class="choice"><input type="radio" id="channel-${value}" name="channel" value="${value}" data-controls="reveal-${value}"${channel === value ? html` checked` : ''}><label for="channel-${value}">${t(lang, value === 'sms' ? 'ftp.order.channel.sms' : 'ftp.order.channel.email')}</label></div>
<div class="reveal" id="reveal-${value}">${contactField}</div>`;
  return html`<h1>${t(lang, 'ftp.order.heading')}</h1>
<p>${t(lang, 'ftp.order.intro')}</p>
<p>${t(lang, options.wipeOnOrder ? 'ftp.order.wipe_on_order' : 'ftp.order.wipe_on_use')}</p>
<form method="post" action="/interaction/${uid}/first-time-password" novalidate>
  <input type="hidden" name="csrf" value="${options.csrf}">
  ${field({ name: 'member_number', label: t(lang, 'ftp.order.member_number'), value: options.memberNumber, inputmode: 'numeric', autocomplete: 'username', hint: t(lang, 'login.member_number_help'), errors, maxlength: 20 })}
  <fieldset class="choices" data-reveal>
    <legend>${t(lang, 'ftp.order.channel')}</legend>
    ${choice('sms', field({ name: 'mobile', label: t(lang, 'ftp.order.mobile'), type: 'tel', value: options.mobile, autocomplete: 'tel', hint: t(lang, 'ftp.order.mobile_hint'), errors, maxlength: 32, required: false }))}
    ${choice('email', field({ name: 'email', label: t(lang, 'ftp.order.email'), type: 'email', value: options.email, autocomplete: 'email', hint: t(lang, 'ftp.order.email_hint'), errors, maxlength: 320, required: false }))}
  </fieldset>
  <div class="actions"><button type="submit">${t(lang, 'ftp.order.submit')}</button></div>
</form>
<ul class="links">
  <li><a href="/interaction/${uid}/first-login">${t(lang, 'login.first_login_link')}</a></li>
  <li>${backToLogin(lang, uid)}</li>
</ul>`;
}

/** The same page whatever happened: it says what to expect, not what was found. */
export function sentView(options: {
  lang: Language;
  uid: string;
  csrf: string;
  valid: string;
  /** What was typed, so a typo can be seen (it says nothing about what is registered). */
  order?: { channel: Channel; contact: string; count: number };
  /** Ordered more often in this sign-in than the send limit lets through: "use the last one you got". */
  repeated: boolean;
  secondsLeft: number;
  contact: { email: string; phone?: ContactPhone | null };
}): Html {
  const { lang, uid, order } = options;
  return html`<h1>${t(lang, 'ftp.sent.heading')}</h1>
<div class="status" role="status">
  ${order ? html`<p>${t(lang, order.channel === 'sms' ? 'ftp.sent.to_sms' : 'ftp.sent.to_email', { contact: readableAddress(order.contact) })}</p>` : ''}
  <p>${options.repeated ? t(lang, 'ftp.sent.many') : t(lang, order && order.count > 1 ? 'ftp.sent.again' : 'ftp.sent.body', { valid: options.valid })}</p>
</div>
<div class="actions"><a class="button" href="/interaction/${uid}/first-login">${t(lang, 'ftp.sent.next')}</a></div>
<h2>${t(lang, 'ftp.sent.no_message_heading')}</h2>
<p>${t(lang, 'ftp.sent.no_message')}</p>
${caseworkerHelp(lang, options.contact)}
${order ? resendForm({ lang, texts: 'ftp.resend', action: `/interaction/${uid}/first-time-password/resend`, csrf: options.csrf, secondsLeft: options.secondsLeft }) : ''}
<ul class="links">
  <li><a href="/interaction/${uid}/first-time-password">${t(lang, 'ftp.sent.change')}</a></li>
  <li>${backToLogin(lang, uid)}</li>
</ul>`;
}

export function firstLoginView(options: { lang: Language; uid: string; csrf: string; memberNumber?: string; errors?: FieldError[] }): Html {
  const { lang, uid, errors } = options;
  return html`<h1>${t(lang, 'first_login.heading')}</h1>
<p>${t(lang, 'first_login.intro')}</p>
<form method="post" action="/interaction/${uid}/first-login" novalidate>
  <input type="hidden" name="csrf" value="${options.csrf}">
  ${field({ name: 'member_number', label: t(lang, 'first_login.member_number'), value: options.memberNumber, inputmode: 'numeric', autocomplete: 'username', errors, maxlength: 20 })}
  ${field({ name: 'password', label: t(lang, 'first_login.password'), autocomplete: 'one-time-code', hint: t(lang, 'first_login.password_hint'), errors, maxlength: 64 })}
  <div class="actions"><button type="submit">${t(lang, 'first_login.submit')}</button></div>
</form>
<ul class="links">
  <li><a href="/interaction/${uid}/first-time-password">${t(lang, 'first_login.order_link')}</a></li>
  <li>${backToLogin(lang, uid)}</li>
</ul>`;
}
