// Member sign-in: "Medlemsnummer eller brukernavn" + "Passord".
import type Router from '@koa/router';
import type { Context } from 'koa';
import { findMemberByIdentifier } from '../../src/accounts/accounts.ts';
import { couldBeFirstTimePassword } from '../../src/accounts/first-time-passwords.ts';
import { signIn } from '../../src/accounts/sign-in.ts';
import { audit } from '../../src/audit/audit.ts';
import { checkCsrf, csrfToken, expectLogin, finishInteraction, type FlowDeps, formField, type LoadedInteraction, loadInteraction, render, requestContext } from '../flow.ts';
import { toChooseCredentials, tryFirstTimePassword } from '../first-time-password/index.ts';
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
    const { account, throttled } = await signIn(deps.signIn, found, { identifier, password, ip: ctx.ip });
    const request = requestContext(ctx, interaction);
    if (!account && couldBeFirstTimePassword(password)) {
      // Members type the first-time password they got here too. It is tried like "Jeg har fått nytt
      // passord/PIN" does, with the same throttle (its own, so a locked password does not block it):
      // one more query and HMAC for anything that looks like one, whether or not the member exists.
      const login = await tryFirstTimePassword(ctx, deps, interaction, { account: found }, password, false);
      if (login && found?.memberNumber) return toChooseCredentials(ctx, deps, interaction, found.memberNumber, login);
    }
    if (!account) {
      const event = throttled ? 'sign_in.throttled' : 'sign_in.failed';
      await audit(deps.db, { event, accountId: found?.id, ...request, detail: { kind: 'member' } }, deps.now());
      return showMemberLogin(ctx, deps, interaction, { identifier, errors: [{ field: 'identifier', message: t(lang, 'login.failed') }] });
    }
    await audit(deps.db, { event: 'sign_in.succeeded', accountId: account.id, ...request, detail: { kind: 'member' } }, deps.now());
    await finishInteraction(ctx, deps, { login: { accountId: account.id, amr: ['pwd'] } });
  });
}
