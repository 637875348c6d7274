// The page frame every person-facing page shares: HK branding, the app being signed in to, the
// language switch, the error summary. No inline script or style (the CSP forbids both).
import type { Context } from 'koa';
import type { Brand, ContactPhone } from '../config/settings.ts';
import type { Language } from '../config/vocabulary.ts';
import { html, type Html } from './html.ts';
import { t } from './i18n.ts';
import { assetUrl, brandCssUrl } from './static.ts';

export type PageClient = {
  name: string;
  logoUri?: string | null;
  /** The form that ends the sign-in and returns access_denied to the app ("Avbryt og gå tilbake til …"). */
  cancel?: { action: string; csrf: string } | null;
};

export type FieldError = { field: string; message: string };

export type PageOptions = {
  lang: Language;
  /** Already translated; says where the person is. */
  title: string;
  body: Html;
  client?: PageClient | null;
  errors?: FieldError[];
  brand: Brand;
  contactEmail: string;
  /** Shown in the footer when set (settings.contactPhone). */
  contactPhone?: ContactPhone | null;
  /** The URL of this page in the other language (keeps the flow); omitted where switching makes no sense. */
  switchUrl?: string | null;
};

export function page(options: PageOptions): string {
  const { lang, client, brand, errors = [] } = options;
  const { title } = options;
  const other: Language = lang === 'nb' ? 'en' : 'nb';
  return `<!doctype html>${html`<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${errors.length ? `${t(lang, 'layout.errors.title')}: ` : ''}${title} – ${brand.name}</title>
<link rel="stylesheet" href="${assetUrl('hk.css')}">
<link rel="stylesheet" href="${brandCssUrl(brand)}">
<link rel="icon" href="${brand.logoUrl}">
<script type="module" src="${assetUrl('hk.js')}"></script>
</head>
<body data-show-password="${t(lang, 'layout.show_password')}">
<a class="skip" href="#main">${t(lang, 'layout.skip')}</a>
<header class="top">
  <span class="brand"><img src="${brand.logoUrl}" alt="" height="40"> ${brand.name}</span>
  ${options.switchUrl ? html`<a class="lang" href="${options.switchUrl}" lang="${other}" hreflang="${other}" aria-label="${t(lang, 'lang.switch.label')}">${t(lang, 'lang.switch')}</a>` : ''}
</header>
<main id="main" tabindex="-1">
  ${client ? html`<p class="client">${client.logoUri ? html`<img src="${client.logoUri}" alt="" height="32"> ` : ''}<span>${t(lang, 'layout.signing_in_to', { client: client.name })}</span></p>` : ''}
  ${errors.length ? errorSummary(lang, errors) : ''}
  ${options.body}
  ${client?.cancel ? cancelForm(lang, client.name, client.cancel) : ''}
</main>
<footer class="foot"><p>${withContactLinks(lang, t(lang, options.contactPhone ? 'layout.help_phone' : 'layout.help'), { email: options.contactEmail, phone: options.contactPhone })}</p></footer>
</body>
</html>`}`;
}

/**
 * Listed first, announced (role=alert) and focused (autofocus; /static/hk.js focuses it where
 * autofocus does not), each entry linking to its field.
 */
function errorSummary(lang: Language, errors: FieldError[]): Html {
  return html`<div class="error-summary" role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-title">
  <h2 id="error-summary-title">${t(lang, 'layout.errors.title')}</h2>
  <ul>${errors.map((e) => html`<li><a href="#${e.field}">${e.message}</a></li>`)}</ul>
</div>`;
}

/** A labelled input with its error (if any) tied to it for screen readers. */
export function field(options: {
  name: string;
  label: string;
  type?: string;
  value?: string;
  autocomplete?: string;
  inputmode?: string;
  hint?: string;
  errors?: FieldError[];
  required?: boolean;
  maxlength?: number;
}): Html {
  const error = options.errors?.find((e) => e.field === options.name);
  const describedBy = [options.hint ? `${options.name}-hint` : '', error ? `${options.name}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field${error ? ' field-error' : ''}">
  <label for="${options.name}">${options.label}</label>
  ${options.hint ? html`<p class="hint" id="${options.name}-hint">${options.hint}</p>` : ''}
  ${error ? html`<p class="error" id="${options.name}-error">${error.message}</p>` : ''}
  <input id="${options.name}" name="${options.name}" type="${options.type ?? 'text'}"${options.value ? html` value="${options.value}"` : ''}${options.autocomplete ? html` autocomplete="${options.autocomplete}"` : ''}${options.inputmode ? html` inputmode="${options.inputmode}"` : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}${error ? html` aria-invalid="true"` : ''}${options.required === false ? '' : html` required`}${options.maxlength ? html` maxlength="${options.maxlength}"` : ''} spellcheck="false" autocapitalize="none">
</div>`;
}

/** The way on where no app waits: the organisation's own site ("Gå til hk.no"). */
export function homeLink(lang: Language, brand: Brand, className = 'button secondary'): Html {
  const site = new URL(brand.homeUrl).hostname.replace(/^www\./, '');
  return html`<a class="${className}" href="${brand.homeUrl}">${t(lang, 'layout.home', { site })}</a>`;
}

/** An address as a person reads it: a Norwegian mobile grouped "+47 987 65 432", anything else as it is. */
export function readableAddress(address: string): string {
  const norwegian = /^\+47(\d{3})(\d{2})(\d{3})$/.exec(address);
  return norwegian ? `+47 ${norwegian.slice(1).join(' ')}` : address;
}

/** The way back to the app that started the sign-in: it ends the sign-in with access_denied (RFC 6749 §4.1.2.1). */
function cancelForm(lang: Language, clientName: string, cancel: { action: string; csrf: string }): Html {
  return html`<form class="cancel" method="post" action="${cancel.action}">
  <input type="hidden" name="csrf" value="${cancel.csrf}">
  <button type="submit" class="secondary">${t(lang, 'layout.cancel_to_app', { client: clientName })}</button>
</form>`;
}

/** A phone number as a tel: link, with its opening hours in the page's language when set. */
function phoneLink(lang: Language, phone: ContactPhone): Html {
  // Norwegian writes times "08.00", English "08:00".
  const time = (value: string) => (lang === 'nb' ? value.replace(':', '.') : value);
  const hours = phone.hours ? ` (${t(lang, 'layout.phone_hours', { from: time(phone.hours.from), to: time(phone.hours.to) })})` : '';
  return html`<a href="${phone.uri}">${phone.display}</a>${hours}`;
}

/** A translated sentence whose {email} and {phone} placeholders become mailto: and tel: links. */
export function withContactLinks(lang: Language, text: string, contact: { email: string; phone?: ContactPhone | null }): Html {
  const parts = text.split(/(\{email\}|\{phone\})/);
  return html`${parts.map((part) => {
    if (part === '{email}') return html`<a href="mailto:${contact.email}">${contact.email}</a>`;
    if (part === '{phone}' && contact.phone) return phoneLink(lang, contact.phone);
    return part;
  })}`;
}

/** A translated sentence whose {email} placeholder becomes a mailto link. */
export function withEmailLink(text: string, email: string): Html {
  return withContactLinks('nb', text, { email });
}

/** Sends a page; pages of the sign-in flows carry secrets in forms and are never cached. */
export function sendPage(ctx: Context, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}
