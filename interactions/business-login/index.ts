// Business portal sign-in ("Innlogging"): e-mail + password. A wrong e-mail, a wrong password, a
// disabled user and a user who has not activated yet all get the same answer at the same cost (one
// bcrypt comparison, see checkPassword).
import type Router from '@koa/router';
import type { Context } from 'koa';
import { findBusinessUserByEmail } from '../../src/accounts/business-users.ts';
import { signIn } from '../../src/accounts/sign-in.ts';
import { checkCsrf, csrfToken, expectLogin, finishInteraction, type FlowDeps, formField, type LoadedInteraction, loadInteraction, render, requestContext } from '../flow.ts';
import { t } from '../i18n.ts';
import type { FieldError } from '../layout.ts';
import { businessLoginView } from './view.ts';

export function showBusinessLogin(
  ctx: Context,
  deps: FlowDeps,
  interaction: LoadedInteraction,
  options: { email?: string; errors?: FieldError[] } = {},
): void {
  const { lang, uid } = interaction;
  render(ctx, deps, {
    lang,
    title: t(lang, 'business.login.title'),
    client: interaction.client,
    errors: options.errors,
    path: `/interaction/${uid}`,
    body: businessLoginView({ lang, uid, csrf: csrfToken(deps.settings, uid), contactEmail: deps.settings.contactEmail, email: options.email, errors: options.errors }),
  });
}

export function registerBusinessLogin(router: Router, deps: FlowDeps): void {
  router.post('/interaction/:uid/business/login', async (ctx) => {
    const interaction = await loadInteraction(ctx, deps);
    checkCsrf(ctx, deps.settings, interaction.uid);
    if (!expectLogin(ctx, interaction, 'business')) return;
    const { lang } = interaction;
    const email = formField(ctx, 'email', 254);
    const password = formField(ctx, 'password', 256);
    if (!email?.trim() || !password) {
      const message = t(lang, email === null || password === null ? 'business.login.failed' : 'business.login.missing');
      return showBusinessLogin(ctx, deps, interaction, { email: email ?? '', errors: [{ field: 'email', message }] });
    }
    const found = await findBusinessUserByEmail(deps.db, email);
    const { account } = await signIn(deps.signIn, found, { kind: 'business', identifier: email, password, ip: ctx.ip }, requestContext(ctx, interaction));
    if (!account) return showBusinessLogin(ctx, deps, interaction, { email, errors: [{ field: 'email', message: t(lang, 'business.login.failed') }] });
    await finishInteraction(ctx, deps, { login: { accountId: account.id, amr: ['pwd'] } });
  });
}
