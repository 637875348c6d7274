// Choose a username and an own password, after a redeemed first-time password. The sign-in goes on
// to the app only when both are saved; until then no code or token reaches any app.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { completeFirstLogin, type CredentialProblem } from '../../src/accounts/first-time-passwords.ts';
import { PASSWORD_MAX_LENGTH } from '../../src/accounts/password-policy.ts';
import { Ordered } from '../first-time-password/state.ts';
import {
  checkCsrf,
  csrfToken,
  finishInteraction,
  formField,
  loadMemberSignIn,
  readStep,
  render,
  requestContext,
  saveFlowState,
  type FlowDeps,
  type LoadedInteraction,
} from '../flow.ts';
import { t, type TextKey } from '../i18n.ts';
import type { FieldError } from '../layout.ts';
import { ChoosingCredentials, CredentialsLapsed } from './state.ts';
import { credentialsView, expiredView, limitedView } from './view.ts';

// The form body is capped at 16 KiB; within it, the rules (not the reader) judge the length.
const FIELD_LIMIT = 16 * 1024;

/** States from which this step is simply not reached (yet): a first-time password only ordered, or one that lapsed here. */
const NotYetChoosing = z.union([Ordered, CredentialsLapsed]);

/**
 * The redeemed first-time password this sign-in is choosing credentials with. Otherwise the browser
 * is sent on and undefined returned: to first login when this step is not reached yet (as with no
 * state at all), to the "step no longer valid" page when the state has expired or is another's.
 */
function choosing(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction): ChoosingCredentials | undefined {
  return readStep(ctx, deps, interaction, { schema: ChoosingCredentials, known: NotYetChoosing, elsewhere: () => `/interaction/${interaction.uid}/first-login` });
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

function showLimited(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction): void {
  const { lang, uid } = interaction;
  render(ctx, deps, { lang, status: 429, title: t(lang, 'credentials.limited.title'), client: interaction.client, path: `/interaction/${uid}/credentials`, body: limitedView({ lang, uid }) });
}

/** The first-time password ran out at this step: the flow lapses (keeping the member number for a new order). */
async function lapse(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction, state: ChoosingCredentials): Promise<void> {
  const next: CredentialsLapsed = { flow: 'set-credentials', step: 'lapsed', expiresAt: interaction.expiresAt, memberNumber: state.memberNumber };
  await saveFlowState(ctx, deps, next);
  const { lang, uid } = interaction;
  // The switch leads to the next step, ordering a new one (this page has no GET of its own).
  render(ctx, deps, { lang, status: 400, title: t(lang, 'credentials.expired.title'), client: interaction.client, path: `/interaction/${uid}/first-time-password`, body: expiredView({ lang, uid }) });
}

export function registerSetCredentials(router: Router, deps: FlowDeps): void {
  router.get('/interaction/:uid/credentials', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (interaction && choosing(ctx, deps, interaction)) showCredentials(ctx, deps, interaction);
  });

  router.post('/interaction/:uid/credentials', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (!interaction) return;
    checkCsrf(ctx, deps.settings, interaction.uid);
    const state = choosing(ctx, deps, interaction);
    if (!state) return;
    const input = {
      username: formField(ctx, 'username', FIELD_LIMIT),
      password: formField(ctx, 'password', FIELD_LIMIT),
      confirmation: formField(ctx, 'confirmation', FIELD_LIMIT),
    };
    const result = await completeFirstLogin(deps.db, deps.hasher, deps.counters, deps.settings, state.firstLogin, input, requestContext(ctx, interaction), deps.now());
    if (result.status === 'limited') return showLimited(ctx, deps, interaction);
    if (result.status === 'expired') return lapse(ctx, deps, interaction, state);
    if (result.status === 'invalid') {
      return showCredentials(ctx, deps, interaction, { username: input.username ?? '', errors: result.problems.map((p) => problemMessage(deps, interaction, p)) });
    }
    // amr "otp": this sign-in rests on the one-time password sent to the registered contact.
    await finishInteraction(ctx, deps, { login: { accountId: result.account.id, amr: ['otp'] } });
  });
}
