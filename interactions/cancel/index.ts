// "Avbryt og gå tilbake til {app}": every page of a sign-in an app started (and its error pages)
// carries a small form (layout.ts) that ends the sign-in here and sends the browser back to the app
// with access_denied (RFC 6749 §4.1.2.1), what the app gets when a person says no.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { checkCsrf, finishInteraction, loadInteraction, type FlowDeps } from '../flow.ts';
import type { PageClient } from '../layout.ts';

export function registerCancel(router: Router, deps: FlowDeps): void {
  router.post('/interaction/:uid/abort', async (ctx) => {
    const interaction = await loadInteraction(ctx, deps);
    checkCsrf(ctx, deps.settings, interaction.uid);
    await finishInteraction(ctx, deps, { error: 'access_denied', error_description: 'End-User cancelled the sign-in' });
  });
}

/** For error pages: the app of the sign-in the failed request belongs to (with its way back), if it is still there. */
export function signInForErrorPage(deps: FlowDeps) {
  return async (ctx: Context): Promise<PageClient | null> => (ctx.path.startsWith('/interaction/') ? (await loadInteraction(ctx, deps)).client : null);
}
