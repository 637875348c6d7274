// Mounts the people-facing flows in front of oidc-provider's own routes.
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { DevOutboxEntry } from '../src/delivery/delivery.ts';
import { securityHeaders } from '../src/http/security-headers.ts';
import { pinOrigin } from '../src/http/pin-origin.ts';
import { formBody } from '../src/http/strict-form.ts';
import { ownProviderForms } from './account-switch/index.ts';
import { registerBusinessActivation } from './business-activation/index.ts';
import { registerBusinessInvitation } from './business-invitation/index.ts';
import { registerBusinessLogin, showBusinessLogin } from './business-login/index.ts';
import { registerCancel, signInForErrorPage } from './cancel/index.ts';
import { showConsent, registerConsent } from './consent/index.ts';
import { registerDemoApp } from './demo-app/index.ts';
import { registerDevOutbox } from './dev-outbox/index.ts';
import { registerFirstTimePassword } from './first-time-password/index.ts';
import { handleErrors } from './errors/index.ts';
import { shedWhenBusy } from './busy/index.ts';
import type { HashPool } from '../src/accounts/hash-pool.ts';
import { loadInteraction, type FlowDeps } from './flow.ts';
import { returnWhenSignedOut } from './logout/index.ts';
import { registerMemberLogin, showMemberLogin } from './member-login/index.ts';
import { registerSetCredentials } from './set-credentials/index.ts';
import { staticFiles } from './static.ts';
import { registerConsole } from './console/index.ts';
import { registerStaffLogin, showStaffLogin } from './console/sign-in/index.ts';

export { logoutPages } from './logout/index.ts';
export { renderProviderError } from './errors/index.ts';
export { createRenderer, type MessageTemplate } from './messages.ts';

export function mountInteractions(
  provider: Provider,
  deps: FlowDeps & { hasher: HashPool },
  options: { devOutbox?: DevOutboxEntry[]; demo: boolean; log: (message: string, error: unknown) => void },
): void {
  const router = new Router();
  // Only our form posts are parsed here; the provider reads its own bodies. Small limit: these are login forms.
  router.use('/interaction', formBody);

  router.get('/', (ctx) => ctx.redirect(options.demo ? '/demo' : '/.well-known/openid-configuration'));
  const files = staticFiles(deps.settings.brand);
  router.get('/static/:file', (ctx) => {
    const file = files[ctx.path];
    if (!file) return;
    ctx.type = file.type;
    // Pages link to these with a content hash in the URL, so a change is fetched at once.
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = file.body;
  });

  // The entry of every interaction: the provider sends the browser here with what it needs.
  router.get('/interaction/:uid', async (ctx) => {
    const interaction = await loadInteraction(ctx, deps);
    if (interaction.prompt === 'consent') return showConsent(ctx, deps, interaction);
    // The app's registration (`--login business`) decides which sign-in a person sees.
    if (interaction.client.login === 'business') return showBusinessLogin(ctx, deps, interaction);
    if (interaction.client.login === 'staff') return showStaffLogin(ctx, deps, interaction);
    return showMemberLogin(ctx, deps, interaction);
  });
  registerCancel(router, deps);
  registerMemberLogin(router, deps);
  registerFirstTimePassword(router, deps);
  registerSetCredentials(router, deps);
  registerBusinessLogin(router, deps);
  registerBusinessActivation(router, deps);
  registerBusinessInvitation(router, deps);
  registerConsent(router, deps);
  registerStaffLogin(router, deps);
  registerConsole(router, deps);
  if (options.devOutbox) registerDevOutbox(router, deps, options.devOutbox);
  if (options.demo) registerDemoApp(router, deps);

  provider.use(pinOrigin(deps.settings.issuer));
  provider.use(securityHeaders({ https: deps.settings.issuer.startsWith('https:') }));
  provider.use(handleErrors(deps.settings, options.log, signInForErrorPage(deps)));
  provider.use(shedWhenBusy(deps.hasher));
  provider.use(ownProviderForms(deps));
  provider.use(returnWhenSignedOut);
  provider.use(router.routes());
  provider.use(router.allowedMethods());
}
