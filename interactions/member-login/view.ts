import type { Language } from '../../config/vocabulary.ts';
import { html, type Html } from '../html.ts';
import { t } from '../i18n.ts';
import type { ContactPhone } from '../../config/settings.ts';
import { field, withContactLinks, withEmailLink, type FieldError } from '../layout.ts';

export function memberLoginView(options: {
  lang: Language;
  uid: string;
  csrf: string;
  identifier?: string;
  errors?: FieldError[];
  /** Links to the other member flows (first-time password), added by those flows. */
  links?: Html[];
  /** Where a scanned paper ballot may be e-mailed, if anywhere. */
  ballotEmail?: string | null;
  /** HK's contact address and phone: the help says "ring oss" only when there is a number to ring. */
  contact: { email: string; phone?: ContactPhone | null };
}): Html {
  const { lang, errors } = options;
  return html`<h1>${t(lang, 'login.heading')}</h1>
<form method="post" action="/interaction/${options.uid}/login" novalidate>
  <input type="hidden" name="csrf" value="${options.csrf}">
  ${field({ name: 'identifier', label: t(lang, 'login.identifier'), value: options.identifier, autocomplete: 'username', hint: t(lang, 'login.member_number_help'), errors, maxlength: 100 })}
  ${field({ name: 'password', label: t(lang, 'login.password'), type: 'password', autocomplete: 'current-password', errors, maxlength: 256 })}
  <div class="actions"><button type="submit">${t(lang, 'login.submit')}</button></div>
</form>
${options.links?.length ? html`<ul class="links">${options.links.map((link) => html`<li>${link}</li>`)}</ul>` : ''}
<section class="help" aria-labelledby="help-heading">
  <h2 id="help-heading">${t(lang, 'login.help.heading')}</h2>
  ${caseworkerHelp(lang, options.contact)}
  <p>${t(lang, 'login.help.ballot')}${options.ballotEmail ? html` ${withEmailLink(t(lang, 'login.help.ballot_email'), options.ballotEmail)}` : ''}</p>
</section>`;
}

/** "A caseworker can send you a first-time password": with a call when there is a phone to call. */
export function caseworkerHelp(lang: Language, contact: { email: string; phone?: ContactPhone | null }): Html {
  return html`<p>${withContactLinks(lang, t(lang, contact.phone ? 'login.help.caseworker_call' : 'login.help.caseworker'), contact)}</p>`;
}
