// Choose a username and an own password, after a redeemed first-time password. The sign-in goes on
// to the app only when both are saved; until then no code or token reaches any app.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { completeFirstLogin, type CredentialProblem, type FirstLogin } from '../../src/accounts/first-time-passwords.ts';
import { PASSWORD_MAX_LENGTH } from '../../src/accounts/password-policy.ts';
import { audit } from '../../src/audit/audit.ts';
import { checkCsrf, csrfToken, finishInteraction, formField, loadMemberSignIn, render, requestContext, saveFlowState, type FlowDeps, type LoadedInteraction } from '../flow.ts';
import { t, type TextKey } from '../i18n.ts';
import type { FieldError } from '../layout.ts';
import { limitKey } from '../../src/security/ip.ts';
import { credentialsView, expiredView, limitedView } from './view.ts';

// The form body is capped at 16 KiB; within it, the rules (not the reader) judge the length.
const FIELD_LIMIT = 16 * 1024;
const HOUR = 3600_000;

/**
 * Each try at this step tells whether a username is taken, and a username may be an e-mail address:
 * unlimited, it would tell who is a member. Tries are counted per redeemed first-time password and per
 * IP, each counted before anything is checked, and the total each request gets back includes its own
 * try, so parallel tries cannot slip past. Refused tries count too: hammering keeps the limit closed.
 */
async function tooManyTries(deps: FlowDeps, login: FirstLogin, ip: string): Promise<'flow' | 'ip' | undefined> {
  const now = deps.now();
  const { perFlowHour, perIpHour } = deps.settings.credentialChecks;
  const byFlow = await deps.counters.increment(`credentials-flow:${login.firstTimePasswordId}`, HOUR, now);
  const byIp = await deps.counters.increment(`credentials-ip:${limitKey(ip)}`, HOUR, now);
  return byFlow > perFlowHour ? 'flow' : byIp > perIpHour ? 'ip' : undefined;
}

/** The first-time password this interaction redeemed (saved by interactions/first-time-password). */
function firstLoginOf(interaction: LoadedInteraction): FirstLogin | undefined {
  const value = interaction.state.firstLogin as Partial<FirstLogin> | undefined;
  return typeof value?.accountId === 'string' && typeof value.firstTimePasswordId === 'string'
    ? { accountId: value.accountId, firstTimePasswordId: value.firstTimePasswordId }
    : undefined;
}

function problemMessage(deps: FlowDeps, interaction: LoadedInteraction, problem: CredentialProblem): FieldError {
  const key = `${problem.field === 'username' ? 'username' : 'password'}.problem.${problem.reason}` as TextKey;
  return { field: problem.field, message: t(interaction.lang, key, { min: deps.settings.passwordMinLength, max: PASSWORD_MAX_LENGTH }) };
}

function showCredentials(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction, values: { username?: string; errors?: FieldError[] } = {}): void {
  const { lang, uid } = interaction;
  render(ctx, deps, {
    lang,
    title: t(lang, 'credentials.title'),
    client: interaction.client,
    errors: values.errors,
    path: `/interaction/${uid}/credentials`,
    body: credentialsView({ lang, uid, csrf: csrfToken(deps.settings, uid), minLength: deps.settings.passwordMinLength, username: values.username, errors: values.errors }),
  });
}

export function registerSetCredentials(router: Router, deps: FlowDeps): void {
  router.get('/interaction/:uid/credentials', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (!interaction) return;
    if (!firstLoginOf(interaction)) {
      ctx.status = 303;
      return ctx.redirect(`/interaction/${interaction.uid}/first-login`);
    }
    showCredentials(ctx, deps, interaction);
  });

  router.post('/interaction/:uid/credentials', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (!interaction) return;
    checkCsrf(ctx, deps.settings, interaction.uid);
    const login = firstLoginOf(interaction);
    if (!login) {
      ctx.status = 303;
      return ctx.redirect(`/interaction/${interaction.uid}/first-login`);
    }
    const context = requestContext(ctx, interaction);
    const limited = await tooManyTries(deps, login, ctx.ip);
    if (limited) {
      // Every refused try, as a throttled sign-in is (`sign_in.throttled`).
      await audit(deps.db, { event: 'credentials.limited', accountId: login.accountId, ...context, detail: { per: limited } }, deps.now());
      const { lang, uid } = interaction;
      return render(ctx, deps, { lang, status: 429, title: t(lang, 'credentials.limited.title'), client: interaction.client, path: `/interaction/${uid}/credentials`, body: limitedView({ lang, uid }) });
    }
    const input = {
      username: formField(ctx, 'username', FIELD_LIMIT),
      password: formField(ctx, 'password', FIELD_LIMIT),
      confirmation: formField(ctx, 'confirmation', FIELD_LIMIT),
    };
    const result = await completeFirstLogin(deps.db, deps.hasher, deps.settings, login, input, context, deps.now());

    if (result.status === 'expired') {
      await saveFlowState(ctx, deps, { memberNumber: interaction.state.memberNumber });
      const { lang, uid } = interaction;
      // The switch leads to the next step, ordering a new one (this page has no GET of its own).
      return render(ctx, deps, { lang, status: 400, title: t(lang, 'credentials.expired.title'), client: interaction.client, path: `/interaction/${uid}/first-time-password`, body: expiredView({ lang, uid }) });
    }
    if (result.status === 'invalid') {
      return showCredentials(ctx, deps, interaction, { username: input.username ?? '', errors: result.problems.map((p) => problemMessage(deps, interaction, p)) });
    }
    await audit(deps.db, { event: 'sign_in.succeeded', accountId: result.account.id, ...context, detail: { kind: 'member', method: 'first_time_password' } }, deps.now());
    // amr "otp": this sign-in rests on the one-time password sent to the registered contact.
    await finishInteraction(ctx, deps, { login: { accountId: result.account.id, amr: ['otp'] } });
  });
}
