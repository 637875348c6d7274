// The people-facing flows as the composition root (src/server.ts) needs them: their routes, and the
// middleware it lists in its HTTP stack. Nothing here is mounted by itself.
import type Router from '@koa/router';
import type { DevOutboxEntry } from '../src/delivery/delivery.ts';
import { registerBusinessActivation } from './business-activation/index.ts';
import { registerBusinessInvitation } from './business-invitation/index.ts';
import { registerBusinessLogin, showBusinessLogin } from './business-login/index.ts';
import { registerCancel } from './cancel/index.ts';
import { showConsent, registerConsent } from './consent/index.ts';
import { registerDemoApp } from './demo-app/index.ts';
import { registerDevOutbox } from './dev-outbox/index.ts';
import { registerFirstTimePassword } from './first-time-password/index.ts';
import { loadInteraction, type FlowDeps } from './flow.ts';
import { registerMemberLogin, showMemberLogin } from './member-login/index.ts';
import { registerSetCredentials } from './set-credentials/index.ts';
import { registerConsole } from './console/index.ts';
import { registerStaffLogin, showStaffLogin } from './console/sign-in/index.ts';

export { ownProviderForms } from './account-switch/index.ts';
export { shedWhenBusy } from './busy/index.ts';
export { signInForErrorPage } from './cancel/index.ts';
export { handleErrors, renderProviderError } from './errors/index.ts';
export { logoutPages, returnWhenSignedOut } from './logout/index.ts';
export { createRenderer, type MessageTemplate } from './messages.ts';
export { registerStaticFiles } from './static.ts';

/** Every flow's routes (pages and form posts under /interaction, /console, the demo app, the dev outbox). */
export function registerInteractions(router: Router, deps: FlowDeps, options: { devOutbox?: DevOutboxEntry[]; demo: boolean }): void {
  router.get('/', (ctx) => ctx.redirect(options.demo ? '/demo' : '/.well-known/openid-configuration'));

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
}
