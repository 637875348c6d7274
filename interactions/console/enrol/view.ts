import type { Language } from '../../../config/vocabulary.ts';
import { PASSWORD_MAX_LENGTH } from '../../../src/accounts/password-policy.ts';
import { html, type Html } from '../../html.ts';
import { t } from '../../i18n.ts';
import { field, type FieldError } from '../../layout.ts';

export function choosePasswordView(options: { lang: Language; action: string; csrf: string; name: string; email: string; minLength: number; errors?: FieldError[] }): Html {
  const { lang, errors } = options;
  return html`<h1>${t(lang, 'console.enrol.title')}</h1>
<p>${t(lang, 'console.enrol.intro', { name: options.name, email: options.email })}</p>
<form method="post" action="${options.action}/password" novalidate>
  <input type="hidden" name="csrf" value="${options.csrf}">
  <input type="hidden" name="username" value="${options.email}" autocomplete="username">
  ${field({ name: 'password', label: t(lang, 'console.enrol.password'), type: 'password', autocomplete: 'new-password', hint: t(lang, 'console.enrol.password_hint', { min: options.minLength }), errors, maxlength: PASSWORD_MAX_LENGTH })}
  ${field({ name: 'confirm', label: t(lang, 'console.enrol.confirm'), type: 'password', autocomplete: 'new-password', errors, maxlength: PASSWORD_MAX_LENGTH })}
  <div class="actions"><button type="submit">${t(lang, 'console.enrol.submit')}</button></div>
</form>`;
}

/** The QR code is an SVG in a data: URL (the CSP allows img-src data:); the key as text beside it. */
export function totpView(options: { lang: Language; action: string; csrf: string; qrDataUrl: string; secret: string; errors?: FieldError[] }): Html {
  const { lang, errors } = options;
  const grouped = options.secret.match(/.{1,4}/g)!.join(' ');
  // The sentence around the key, so the key alone is set as code.
  const manual = t(lang, 'console.enrol.manual', { secret: '\u0000' }).split('\u0000');
  return html`<h1>${t(lang, 'console.enrol.totp_title')}</h1>
<p>${t(lang, 'console.enrol.totp_intro')}</p>
<p><img class="qr" src="${options.qrDataUrl}" alt="${t(lang, 'console.enrol.qr_alt')}" width="200" height="200"></p>
<p>${manual[0]}<code class="secret">${grouped}</code>${manual[1]}</p>
<form method="post" action="${options.action}/totp" novalidate>
  <input type="hidden" name="csrf" value="${options.csrf}">
  ${field({ name: 'code', label: t(lang, 'console.enrol.code'), hint: t(lang, 'console.enrol.code_hint'), autocomplete: 'one-time-code', inputmode: 'numeric', errors, maxlength: 10 })}
  <div class="actions"><button type="submit">${t(lang, 'console.enrol.code_submit')}</button></div>
</form>`;
}

export function recoveryCodesView(options: { lang: Language; codes: string[] }): Html {
  const { lang } = options;
  return html`<h1>${t(lang, 'console.enrol.done_title')}</h1>
<div class="status" role="status"><p>${t(lang, 'console.enrol.done_intro')}</p></div>
<ol class="recovery-codes">${options.codes.map((code) => html`<li><code>${code}</code></li>`)}</ol>
<div class="actions"><a class="button" href="/console">${t(lang, 'console.start.submit')}</a></div>`;
}

export function invalidLinkView(lang: Language): Html {
  return html`<h1>${t(lang, 'console.enrol.invalid_title')}</h1><p>${t(lang, 'console.enrol.invalid_body')}</p>`;
}
