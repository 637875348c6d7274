import type { Language } from '../../config/vocabulary.ts';
import { html, type Html } from '../html.ts';
import { t } from '../i18n.ts';
import { field, withEmailLink, type FieldError } from '../layout.ts';

/** "Innlogging": E-post + Passord, with the ways to activate the account or reset the password. */
export function businessLoginView(options: {
  lang: Language;
  uid: string;
  csrf: string;
  contactEmail: string;
  email?: string;
  errors?: FieldError[];
}): Html {
  const { lang, uid, errors } = options;
  return html`<h1>${t(lang, 'business.login.heading')}</h1>
<p>${t(lang, 'business.login.first_time')}<br>
<a href="/interaction/${uid}/business/activate">${t(lang, 'business.login.activate_link')}</a></p>
<form method="post" action="/interaction/${uid}/business/login" novalidate>
  <input type="hidden" name="csrf" value="${options.csrf}">
  ${field({ name: 'email', label: t(lang, 'business.login.email'), type: 'email', value: options.email, autocomplete: 'username', errors, maxlength: 254 })}
  ${field({ name: 'password', label: t(lang, 'business.login.password'), type: 'password', autocomplete: 'current-password', errors, maxlength: 256 })}
  <div class="actions"><button type="submit">${t(lang, 'business.login.submit')}</button> <a href="/interaction/${uid}/business/reset">${t(lang, 'business.login.forgot')}</a></div>
</form>
<p>${withEmailLink(t(lang, 'business.login.no_user'), options.contactEmail)}</p>`;
}

