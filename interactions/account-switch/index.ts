// When someone signs in with one account while this browser is signed in with another (a member
// and a business user in the same browser), oidc-provider ends the old session first: its resume
// step (lib/actions/authorization/resume.js) answers with its own English "Submitting Callback" page,
// an inline-script form to /session/end/confirm with a "Continue" button for browsers without
// script. Its logout (lib/actions/end_session.js) answers the same way when the browser is not
// signed in at all. Neither page can be configured, so this replaces them with ours: localized,
// saying what happens, with a button and no script. The provider's form fields go along unchanged.
// The switch page also carries the sign-in's "cancel and go back to the app": the sign-in of the new
// account ends with access_denied for the app, and the browser stays signed in as before.
import type { Context, Next } from 'koa';
import { switchUrlFor } from '../errors/index.ts';
import { signInCancel, type FlowDeps } from '../flow.ts';
import { html } from '../html.ts';
import { pickLanguage, t } from '../i18n.ts';
import { page, sendPage, type PageClient } from '../layout.ts';

const CONFIRM_PATH = '/session/end/confirm';

/** The xsrf value of the provider's form to /session/end/confirm, if `body` is that page. */
function providerLogoutForm(body: unknown): string | undefined {
  if (typeof body !== 'string' || !body.includes('<title>Submitting Callback</title>')) return undefined;
  const action = /<form method="post" action="([^"]*)"/.exec(body)?.[1];
  if (!action || new URL(action, 'http://localhost').pathname !== CONFIRM_PATH) return undefined;
  return /<input type="hidden" name="xsrf" value="([\w-]+)"\/>/.exec(body)?.[1];
}

/** The app of the sign-in being resumed, with the way to cancel it (the interaction is still there: the resume waits for this page's answer). */
async function clientOf(ctx: Context, deps: FlowDeps): Promise<PageClient | null> {
  const oidc = (ctx as { oidc?: { entities?: { Interaction?: { uid?: unknown; params?: { client_id?: unknown } } } } }).oidc;
  const interaction = oidc?.entities?.Interaction;
  const clientId = interaction?.params?.client_id;
  const client = typeof clientId === 'string' ? await deps.provider.Client.find(clientId) : undefined;
  if (!client) return null;
  // The registration as the client holds it, as loadInteraction reads it (metadata() would rebuild every field).
  const { clientName, logoUri } = client as { clientName?: string; logoUri?: string };
  return {
    name: String(clientName ?? clientId),
    logoUri: logoUri ?? null,
    cancel: typeof interaction?.uid === 'string' ? signInCancel(deps.settings, interaction.uid) : null,
  };
}

export function ownProviderForms(deps: FlowDeps) {
  return async (ctx: Context, next: Next) => {
    // The provider adds a hash for its inline script to this header; our page needs none.
    const csp = ctx.response.get('content-security-policy');
    await next();
    const xsrf = providerLogoutForm(ctx.body);
    if (!xsrf) return;
    if (csp) ctx.set('Content-Security-Policy', csp);
    const lang = pickLanguage(ctx);
    const switching = (ctx as { oidc?: { route?: string } }).oidc?.route === 'resume';
    const [title, intro, submit] = switching
      ? (['switch.title', 'switch.intro', 'switch.submit'] as const)
      : (['switch.signed_out.title', 'switch.signed_out.intro', 'switch.signed_out.submit'] as const);
    const client = switching ? await clientOf(ctx, deps) : null;
    sendPage(
      ctx,
      200,
      page({
        lang,
        title: t(lang, title),
        brand: deps.settings.brand,
        contactEmail: deps.settings.contactEmail,
        contactPhone: deps.settings.contactPhone,
        client,
        // A GET of the same step: the provider makes a fresh form for it.
        switchUrl: switchUrlFor(ctx, lang),
        body: html`<h1>${t(lang, title)}</h1>
<p>${t(lang, intro, { client: client?.name ?? '' })}</p>
<form method="post" action="${CONFIRM_PATH}">
  <input type="hidden" name="xsrf" value="${xsrf}">
  <input type="hidden" name="logout" value="yes">
  <div class="actions"><button type="submit">${t(lang, submit)}</button></div>
</form>`,
      }),
    );
  };
}
