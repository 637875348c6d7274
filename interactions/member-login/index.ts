// Member sign-in: "Medlemsnummer eller brukernavn" + "Passord".
import type Router from '@koa/router';
import type { Context } from 'koa';
import { findMemberByIdentifier } from '../../src/accounts/accounts.ts';
import { couldBeFirstTimePassword, firstTimePasswordGuess } from '../../src/accounts/first-time-passwords.ts';
import { signIn } from '../../src/accounts/sign-in.ts';
import { checkCsrf, csrfToken, expectLogin, finishInteraction, type FlowDeps, formField, type LoadedInteraction, loadInteraction, render, requestContext } from '../flow.ts';
import { toChooseCredentials } from '../first-time-password/index.ts';
import { html } from '../html.ts';
import { t } from '../i18n.ts';
import type { FieldError } from '../layout.ts';
import { memberLoginView } from './view.ts';

export function showMemberLogin(
  ctx: Context,
  deps: FlowDeps,
  interaction: LoadedInteraction,
  options: { identifier?: string; errors?: FieldError[] } = {},
): void {
  const { lang, uid } = interaction;
  render(ctx, deps, {
    lang,
    title: t(lang, 'login.title'),
    client: interaction.client,
    errors: options.errors,
    path: `/interaction/${uid}`,
    body: memberLoginView({
      lang,
      uid,
      csrf: csrfToken(deps.settings, uid),
      identifier: options.identifier,
      errors: options.errors,
      ballotEmail: deps.settings.ballotEmail,
      contact: { email: deps.settings.contactEmail, phone: deps.settings.contactPhone },
      links: [
        html`<a href="/interaction/${uid}/first-time-password">${t(lang, 'login.order_link')}</a>`,
        html`<a href="/interaction/${uid}/first-login">${t(lang, 'login.first_login_link')}</a>`,
      ],
    }),
  });
}

export function registerMemberLogin(router: Router, deps: FlowDeps): void {
  router.post('/interaction/:uid/login', async (ctx) => {
    const interaction = await loadInteraction(ctx, deps);
    checkCsrf(ctx, deps.settings, interaction.uid);
    const { lang } = interaction;
    const identifier = formField(ctx, 'identifier', 100);
    const password = formField(ctx, 'password', 256);
    if (!expectLogin(ctx, interaction, 'member')) return;
    if (!identifier?.trim() || !password) {
      const message = t(lang, identifier === null || password === null ? 'login.failed' : 'login.missing');
      return showMemberLogin(ctx, deps, interaction, { identifier: identifier ?? '', errors: [{ field: 'identifier', message }] });
    }
    const found = await findMemberByIdentifier(deps.db, identifier);
    // Members type the first-time password they got here too. Anything shaped like one is one attempt
    // that is either (one IP count, its own throttle for the first-time password, so a locked password
    // does not block it): the same work whether or not the member exists or has one.
    const firstTime = couldBeFirstTimePassword(password) ? firstTimePasswordGuess(deps, { account: found }, password, requestContext(ctx, interaction), false) : undefined;
    const { account, firstLogin } = await signIn(deps.signIn, found, { kind: 'member', identifier, password, ip: ctx.ip }, requestContext(ctx, interaction), firstTime);
    if (firstLogin && found?.memberNumber) return toChooseCredentials(ctx, deps, interaction, found.memberNumber, firstLogin);
    if (!account) return showMemberLogin(ctx, deps, interaction, { identifier, errors: [{ field: 'identifier', message: t(lang, 'login.failed') }] });
    await finishInteraction(ctx, deps, { login: { accountId: account.id, amr: ['pwd'] } });
  });
}
