// Member sign-in: "Medlemsnummer eller brukernavn" + "Passord".
import type Router from '@koa/router';
import type { Context } from 'koa';
import { findMemberByIdentifier, type Account } from '../../src/accounts/accounts.ts';
import { couldBeFirstTimePassword, type FirstLogin } from '../../src/accounts/first-time-passwords.ts';
import { passwordGuess, throttledGuess, type Guess } from '../../src/accounts/sign-in.ts';
import { audit } from '../../src/audit/audit.ts';
import { checkCsrf, csrfToken, expectLogin, finishInteraction, type FlowDeps, formField, type LoadedInteraction, loadInteraction, render, requestContext } from '../flow.ts';
import { firstTimePasswordGuess, toChooseCredentials } from '../first-time-password/index.ts';
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

const mapDefined = <A, B>(value: A | undefined, map: (value: A) => B): B | undefined => (value === undefined ? undefined : map(value));

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
    const request = requestContext(ctx, interaction);
    // Members type the first-time password they got here too. Anything shaped like one is one attempt
    // that is either (one IP count, its own throttle for the first-time password, so a locked password
    // does not block it): the same work whether or not the member exists or has one.
    const byPassword = passwordGuess(deps.signIn, found, { identifier, password });
    const guesses: Guess<{ account?: Account; firstLogin?: FirstLogin }>[] = [{ subject: byPassword.subject, check: async (allowed) => mapDefined(await byPassword.check(allowed), (account) => ({ account })) }];
    if (couldBeFirstTimePassword(password)) {
      const firstTime = firstTimePasswordGuess(ctx, deps, interaction, { account: found }, password, false);
      guesses.push({ subject: firstTime.subject, check: async (allowed) => mapDefined(await firstTime.check(allowed), (firstLogin) => ({ firstLogin })) });
    }
    const { result, throttled } = await throttledGuess(deps.signIn, ctx.ip, guesses);
    if (result?.firstLogin && found?.memberNumber) return toChooseCredentials(ctx, deps, interaction, found.memberNumber, result.firstLogin);
    const account = result?.account;
    if (!account) {
      const event = throttled ? 'sign_in.throttled' : 'sign_in.failed';
      await audit(deps.db, { event, accountId: found?.id, ...request, detail: { kind: 'member' } }, deps.now());
      return showMemberLogin(ctx, deps, interaction, { identifier, errors: [{ field: 'identifier', message: t(lang, 'login.failed') }] });
    }
    await audit(deps.db, { event: 'sign_in.succeeded', accountId: account.id, ...request, detail: { kind: 'member' } }, deps.now());
    await finishInteraction(ctx, deps, { login: { accountId: account.id, amr: ['pwd'] } });
  });
}
