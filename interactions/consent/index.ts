// Consent for apps that are not first-party: what the app will learn, and a choice.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { html } from '../html.ts';
import { catalogues, t, type TextKey } from '../i18n.ts';
import { checkCsrf, csrfToken, finishInteraction, loadInteraction, render, type FlowDeps, type LoadedInteraction } from '../flow.ts';

export async function showConsent(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction): Promise<void> {
  const { lang, uid } = interaction;
  const scopes = String(interaction.params.scope ?? 'openid').split(' ').filter((scope) => `scope.${scope}` in catalogues.nb);
  render(ctx, deps, {
    lang,
    title: t(lang, 'consent.heading', { client: interaction.client.name }),
    // Its own "Avbryt" already returns access_denied to the app.
    client: { ...interaction.client, cancel: null },
    path: `/interaction/${uid}`,
    body: html`<h1>${t(lang, 'consent.heading', { client: interaction.client.name })}</h1>
<p>${t(lang, 'consent.intro')}</p>
<ul>${scopes.map((scope) => html`<li>${t(lang, `scope.${scope}` as TextKey)}</li>`)}</ul>
<form method="post" action="/interaction/${uid}/consent">
  <input type="hidden" name="csrf" value="${csrfToken(deps.settings, uid)}">
  <div class="actions">
    <button type="submit" name="decision" value="allow">${t(lang, 'consent.allow')}</button>
    <button type="submit" name="decision" value="deny" class="secondary">${t(lang, 'consent.deny')}</button>
  </div>
</form>
<p class="hint">${t(lang, 'consent.deny_note')}</p>`,
  });
}

export function registerConsent(router: Router, deps: FlowDeps): void {
  router.post('/interaction/:uid/consent', async (ctx) => {
    const interaction = await loadInteraction(ctx, deps);
    checkCsrf(ctx, deps.settings, interaction.uid);
    const { details } = interaction;
    if (details.prompt.name !== 'consent' || !details.session?.accountId) {
      ctx.status = 303;
      return ctx.redirect(`/interaction/${interaction.uid}`);
    }
    if ((ctx.request.body as Record<string, unknown>).decision !== 'allow') {
      return finishInteraction(ctx, deps, { error: 'access_denied', error_description: 'End-User denied consent' });
    }
    const { Grant } = deps.provider;
    // The grant may have expired or been revoked while the page was open: then start a new one.
    const grant =
      (details.grantId ? await Grant.find(details.grantId) : undefined) ??
      new Grant({ accountId: details.session.accountId, clientId: interaction.client.clientId });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    await finishInteraction(ctx, deps, { consent: { grantId } });
  });
}
