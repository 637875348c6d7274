// The step after a first-time password: choose a personal username and an own password.
import type { Language } from '../../config/vocabulary.ts';
import { html, type Html } from '../html.ts';
import { t } from '../i18n.ts';
import { field, type FieldError } from '../layout.ts';

export function credentialsView(options: { lang: Language; uid: string; csrf: string; minLength: number; username?: string; errors?: FieldError[] }): Html {
  const { lang, uid, errors } = options;
  return html`<h1>${t(lang, 'credentials.heading')}</h1>
<p>${t(lang, 'credentials.intro')}</p>
<form method="post" action="/interaction/${uid}/credentials" novalidate>
  <input type="hidden" name="csrf" value="${options.csrf}">
  ${field({ name: 'username', label: t(lang, 'credentials.username'), value: options.username, autocomplete: 'username', hint: t(lang, 'credentials.username_hint'), errors, maxlength: 100 })}
  ${field({ name: 'password', label: t(lang, 'credentials.password'), type: 'password', autocomplete: 'new-password', hint: t(lang, 'credentials.password_hint', { min: options.minLength }), errors })}
  ${field({ name: 'confirmation', label: t(lang, 'credentials.confirmation'), type: 'password', autocomplete: 'new-password', errors })}
  <div class="actions"><button type="submit">${t(lang, 'credentials.submit')}</button></div>
</form>`;
}

export function expiredView(options: { lang: Language; uid: string }): Html {
  const { lang, uid } = options;
  return html`<h1>${t(lang, 'credentials.expired.title')}</h1>
<p>${t(lang, 'credentials.expired.body')}</p>
<div class="actions"><a class="button" href="/interaction/${uid}/first-time-password">${t(lang, 'first_login.order_link')}</a></div>
<ul class="links"><li><a href="/interaction/${uid}">${t(lang, 'ftp.back_to_login')}</a></li></ul>`;
}

/** Too many tries at this step: nothing was checked or saved; the way on is to wait. */
export function limitedView(options: { lang: Language; uid: string }): Html {
  const { lang, uid } = options;
  return html`<h1>${t(lang, 'credentials.limited.title')}</h1>
<p>${t(lang, 'credentials.limited.body')}</p>
<div class="actions"><a class="button" href="/interaction/${uid}/credentials">${t(lang, 'credentials.limited.retry')}</a></div>
<ul class="links"><li><a href="/interaction/${uid}">${t(lang, 'ftp.back_to_login')}</a></li></ul>`;
}
