// Logout pages for oidc-provider's RP-initiated logout: a confirmation (so no other site can sign a
// person out with a bare link) and a "you are signed out" page.
import type { Context } from 'koa';
import type { Settings } from '../../config/settings.ts';
import type { Language } from '../../src/accounts/accounts.ts';
import { switchUrlFor } from '../errors/index.ts';
import { html, trusted, type Html } from '../html.ts';
import { pickLanguage, t, type TextKey } from '../i18n.ts';
import { homeLink, page, sendPage } from '../layout.ts';

export function logoutPages(settings: Settings) {
  // Both pages answer the provider's own routes; the language switch repeats the same request.
  const show = (ctx: Context, title: TextKey, body: (lang: Language) => Html) => {
    const lang = pickLanguage(ctx);
    sendPage(
      ctx,
      200,
      page({ lang, title: t(lang, title), brand: settings.brand, contactEmail: settings.contactEmail, contactPhone: settings.contactPhone, switchUrl: switchUrlFor(ctx, lang), body: body(lang) }),
    );
  };
  return {
    /** `form` is the provider's own hidden form (with its anti-CSRF xsrf field); our buttons submit it. */
    async logoutSource(ctx: Context, form: string) {
      show(
        ctx,
        'logout.title',
        (lang) => html`<h1>${t(lang, 'logout.heading')}</h1>
<p>${t(lang, 'logout.intro')}</p>
${trusted(form)}
<div class="actions">
  <button type="submit" form="op.logoutForm" name="logout" value="yes">${t(lang, 'logout.confirm')}</button>
  <button type="submit" form="op.logoutForm" class="secondary">${t(lang, 'logout.cancel')}</button>
</div>`,
      );
    },
    async postLogoutSuccessSource(ctx: Context) {
      show(
        ctx,
        'logout.done.title',
        (lang) => html`<h1>${t(lang, 'logout.done.heading')}</h1><p>${t(lang, 'logout.done.body')}</p>
<div class="actions">${homeLink(lang, settings.brand)}</div>`,
      );
    },
  };
}
