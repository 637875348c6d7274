import type { Language } from '../../config/vocabulary.ts';
import { PASSWORD_MAX_LENGTH } from '../../src/accounts/password-policy.ts';
import { html, type Html } from '../html.ts';
import { t } from '../i18n.ts';
import { field, withEmailLink, type FieldError } from '../layout.ts';

/** The invitation link's page: choose a password; the e-mail is the login name. */
export function invitationView(options: { lang: Language; action: string; csrf: string; email: string; minLength: number; errors?: FieldError[] }): Html {
  const { lang, errors } = options;
  return html`<h1>${t(lang, 'business.invitation.title')}</h1>
<p>${t(lang, 'business.invitation.intro', { email: options.email })}</p>
<form method="post" action="${options.action}" novalidate>
  <input type="hidden" name="csrf" value="${options.csrf}">
  <input type="hidden" name="username" value="${options.email}" autocomplete="username">
  ${field({ name: 'password', label: t(lang, 'business.password.new'), type: 'password', autocomplete: 'new-password', hint: t(lang, 'business.password.new_hint', { min: options.minLength }), errors, maxlength: PASSWORD_MAX_LENGTH })}
  ${field({ name: 'confirm', label: t(lang, 'business.password.confirm'), type: 'password', autocomplete: 'new-password', errors, maxlength: PASSWORD_MAX_LENGTH })}
  <div class="actions"><button type="submit">${t(lang, 'business.password.submit')}</button></div>
</form>`;
}

/** Activated with no app in the picture: the way on is the business portal. */
export function activatedView(options: { lang: Language; email: string; portalUrl: string }): Html {
  const { lang } = options;
  return html`<h1>${t(lang, 'business.done.activated')}</h1>
<div class="status" role="status"><p>${t(lang, 'business.done.login_name', { email: options.email })}</p></div>
<div class="actions"><a class="button" href="${options.portalUrl}">${t(lang, 'business.done.portal')}</a></div>`;
}

/** A used, expired or revoked link: says so, and where to go instead. */
export function invalidView(options: { lang: Language; contactEmail: string; portalUrl: string }): Html {
  const { lang } = options;
  return html`<h1>${t(lang, 'business.invitation.invalid.title')}</h1>
<p>${withEmailLink(t(lang, 'business.invitation.invalid.body'), options.contactEmail)}</p>
<div class="actions"><a class="button" href="${options.portalUrl}">${t(lang, 'business.done.portal')}</a></div>`;
}
