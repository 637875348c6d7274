// Logout pages for oidc-provider's RP-initiated logout: a confirmation (so no other site can sign a
// person out with a bare link) and a "you are signed out" page.
import type { Context } from 'koa';
import type { Settings } from '../../config/settings.ts';
import { switchUrlFor } from '../errors/index.ts';
import { html, trusted } from '../html.ts';
import { pickLanguage, t } from '../i18n.ts';
import { homeLink, page, sendPage } from '../layout.ts';

export function logoutPages(settings: Settings) {
  return {
    /** `form` is the provider's own hidden form (with its anti-CSRF xsrf field); our buttons submit it. */
    async logoutSource(ctx: Context, form: string) {
      const lang = pickLanguage(ctx);
      sendPage(
        ctx,
        200,
        page({
          lang,
          title: t(lang, 'logout.title'),
          brand: settings.brand,
          contactEmail: settings.contactEmail,
          // The same logout request again: the provider makes a fresh form for it.
          switchUrl: switchUrlFor(ctx, lang),
          body: html`<h1>${t(lang, 'logout.heading')}</h1>
<p>${t(lang, 'logout.intro')}</p>
${trusted(form)}
<div class="actions">
  <button type="submit" form="op.logoutForm" name="logout" value="yes">${t(lang, 'logout.confirm')}</button>
  <button type="submit" form="op.logoutForm" class="secondary">${t(lang, 'logout.cancel')}</button>
</div>`,
        }),
      );
    },
    async postLogoutSuccessSource(ctx: Context) {
      const lang = pickLanguage(ctx);
      sendPage(
        ctx,
        200,
        page({
          lang,
          title: t(lang, 'logout.done.title'),
          brand: settings.brand,
          contactEmail: settings.contactEmail,
          switchUrl: switchUrlFor(ctx, lang),
          body: html`<h1>${t(lang, 'logout.done.heading')}</h1><p>${t(lang, 'logout.done.body')}</p>
<div class="actions">${homeLink(lang, settings.brand)}</div>`,
        }),
      );
    },
  };
}
