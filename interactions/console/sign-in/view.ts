import type { Language } from '../../../config/vocabulary.ts';
import { html, type Html } from '../../html.ts';
import { t } from '../../i18n.ts';
import { field, type FieldError } from '../../layout.ts';

/** Step 1: e-mail + password. */
export function passwordView(options: { lang: Language; uid: string; csrf: string; email?: string; errors?: FieldError[] }): Html {
  const { lang, uid, errors } = options;
  return html`<h1>${t(lang, 'console.login.title')}</h1>
<form method="post" action="/interaction/${uid}/staff/login" novalidate>
  <input type="hidden" name="csrf" value="${options.csrf}">
  ${field({ name: 'email', label: t(lang, 'console.login.email'), type: 'email', value: options.email, autocomplete: 'username', errors, maxlength: 254 })}
  ${field({ name: 'password', label: t(lang, 'console.login.password'), type: 'password', autocomplete: 'current-password', errors, maxlength: 256 })}
  <div class="actions"><button type="submit">${t(lang, 'console.login.submit')}</button></div>
</form>`;
}

/** Step 2: the 6-digit code (or a recovery code). */
export function codeView(options: { lang: Language; uid: string; csrf: string; errors?: FieldError[] }): Html {
  const { lang, uid, errors } = options;
  return html`<h1>${t(lang, 'console.login.code_title')}</h1>
<form method="post" action="/interaction/${uid}/staff/code" novalidate>
  <input type="hidden" name="csrf" value="${options.csrf}">
  ${field({ name: 'code', label: t(lang, 'console.login.code'), hint: t(lang, 'console.login.code_hint'), autocomplete: 'one-time-code', errors, maxlength: 20 })}
  <div class="actions"><button type="submit">${t(lang, 'console.login.code_submit')}</button></div>
</form>`;
}
