// "Aktiver brukerkonto" and "Glemt passord" for business users, inside the sign-in of an app:
// 1. the person gives an e-mail or mobile, and a one-time code goes there if it belongs to a user
//    who may activate (the page says the same either way);
// 2. the code and a new password (twice), on one page;
// 3. the account is active with the new password, other sessions end, and the page shows the
//    e-mail that is now the login name before the sign-in continues to the app.
// The step state (./state.ts) lives in the oidc interaction, so it is bound to this browser's flow
// and every instance sees it. The rules are the core's (src/accounts/business-activation.ts); the
// sending and its wait are the shared strategy (../resend.ts).
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Language } from '../../config/vocabulary.ts';
import { acceptBusinessCode, BUSINESS_CODE_PURPOSES, completeBusinessActivation, orderBusinessCode, signInAfterActivation, type CodeRefusal } from '../../src/accounts/business-activation.ts';
import type { NewPasswordInput } from '../../src/accounts/business-users.ts';
import { normalizeEmail, normalizeMobile } from '../../src/accounts/contact.ts';
import { PASSWORD_MAX_LENGTH, type PasswordProblem } from '../../src/accounts/password-policy.ts';
import type { Channel } from '../../src/delivery/delivery.ts';
import {
  checkCsrf,
  csrfToken,
  expectLogin,
  finishInteraction,
  forgetFlow,
  type FlowDeps,
  formField,
  type LoadedInteraction,
  loadInteraction,
  readFlow,
  readStep,
  render,
  requestContext,
  saveFlowState,
  seeOther,
} from '../flow.ts';
import { t } from '../i18n.ts';
import type { FieldError } from '../layout.ts';
import { passwordErrors } from '../password-problems.ts';
import { RESEND_FIELD, secondsToWait, sendAfterWait, waitError, type Sent } from '../resend.ts';
import { AwaitingPassword, BusinessFlow, CodeSent, Done, type Verified } from './state.ts';
import { codeRequestView, doneView, passwordView, stepTitle, type Purpose } from './view.ts';

const isPurpose = (value: unknown): value is Purpose => value === 'activate' || value === 'reset';

function showCodeRequest(
  ctx: Context,
  deps: FlowDeps,
  interaction: LoadedInteraction,
  purpose: Purpose,
  options: { values?: { email?: string; mobile?: string }; errors?: FieldError[]; status?: number } = {},
): void {
  const { lang, uid } = interaction;
  render(ctx, deps, {
    lang,
    status: options.status,
    title: stepTitle(lang, purpose, 'code'),
    client: interaction.client,
    errors: options.errors,
    path: `/interaction/${uid}/business/${purpose}`,
    body: codeRequestView({ lang, uid, csrf: csrfToken(deps.settings, uid), purpose, values: options.values, errors: options.errors }),
  });
}

function showPasswordPage(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction, flow: AwaitingPassword, errors?: FieldError[], status?: number): void {
  const { lang, uid } = interaction;
  const verified = flow.step === 'verified';
  render(ctx, deps, {
    lang,
    title: stepTitle(lang, flow.purpose, verified ? 'verified' : 'password'),
    client: interaction.client,
    errors,
    status,
    path: `/interaction/${uid}/business/password`,
    body: passwordView({
      lang,
      uid,
      csrf: csrfToken(deps.settings, uid),
      purpose: flow.purpose,
      verified,
      channel: flow.channel,
      address: flow.address,
      sends: flow.sends,
      secondsLeft: secondsToWait(flow.sentAt, deps.now(), deps.settings.resendWait),
      minLength: deps.settings.passwordMinLength,
      codeMinutes: Math.round(deps.settings.oneTimeCodeTtl / 60),
      contactEmail: deps.settings.contactEmail,
      contactPhone: deps.settings.contactPhone,
      errors,
    }),
  });
}

function codeError(lang: Language, refusal: CodeRefusal): FieldError {
  const message =
    refusal.reason === 'missing'
      ? t(lang, 'business.password.code_missing')
      : refusal.reason === 'wrong'
        ? t(lang, 'business.password.code_wrong', { left: refusal.attemptsLeft })
        : t(lang, refusal.reason === 'attempts' ? 'business.password.code_attempts' : 'business.password.code_dead');
  return { field: 'code', message };
}

export function registerBusinessActivation(router: Router, deps: FlowDeps): void {
  const { settings } = deps;
  const problemErrors = (lang: Language, problems: PasswordProblem[]) =>
    passwordErrors(lang, problems, settings.passwordMinLength);
  const passwordPath = (interaction: LoadedInteraction) => `/interaction/${interaction.uid}/business/password`;

  /** What sendAfterWait waits between sends of: a code for this purpose to this address. */
  const sendsOf = (request: { purpose: Purpose; channel: Channel; address: string }) => ['business-code', request.purpose, request.channel, request.address];

  /** Records a code order (the outbox worker matches, issues, sends and audits it: the same work whatever matches) and moves the flow to code-sent. */
  async function orderCode(ctx: Context, interaction: LoadedInteraction, request: { purpose: Purpose; channel: Channel; address: string }, sent: Sent): Promise<void> {
    const { purpose, channel, address } = request;
    const order = { channel, address, purpose: BUSINESS_CODE_PURPOSES[purpose], flowId: interaction.uid, language: interaction.lang };
    await orderBusinessCode(deps.db, order, requestContext(ctx, interaction), sent.sentAt);
    await saveFlowState(ctx, deps, { flow: 'business-activation', step: 'code-sent', expiresAt: interaction.expiresAt, purpose, channel, address, ...sent } satisfies CodeSent);
  }

  /** Step 2, the code: the verified state (kept at once), or undefined once the page with the refusal is sent. */
  async function acceptCode(ctx: Context, interaction: LoadedInteraction, flow: CodeSent, newPassword: NewPasswordInput): Promise<Verified | undefined> {
    const input = { purpose: BUSINESS_CODE_PURPOSES[flow.purpose], flowId: interaction.uid, address: flow.address, code: formField(ctx, 'code', 20), ...newPassword };
    const check = await acceptBusinessCode(deps.db, settings, input, requestContext(ctx, interaction), deps.now());
    if (check.outcome === 'refused') {
      showPasswordPage(ctx, deps, interaction, flow, [codeError(interaction.lang, check.refusal), ...problemErrors(interaction.lang, check.problems)]);
      return undefined;
    }
    const verified: Verified = { ...flow, step: 'verified', verifiedAccountId: check.account.id };
    // Kept at once: the code is used up, and a refused hash (a busy page) must not make it void.
    await saveFlowState(ctx, deps, verified);
    return verified;
  }

  for (const purpose of ['activate', 'reset'] as const) {
    router.get(`/interaction/:uid/business/${purpose}`, async (ctx) => {
      const interaction = await loadInteraction(ctx, deps);
      if (!expectLogin(ctx, interaction, 'business')) return;
      // Back to correct the address: the one typed before is filled in. (This page starts the flow
      // anew, so a state that cannot be read is simply not used.)
      const read = readFlow(interaction, AwaitingPassword, deps.now());
      const values = read.ok ? { [read.state.channel === 'email' ? 'email' : 'mobile']: read.state.address } : undefined;
      showCodeRequest(ctx, deps, interaction, purpose, { values });
    });
  }

  // Step 1: send a code. The same answer, a redirect to step 2, whether or not anything was sent.
  router.post('/interaction/:uid/business/:purpose/:channel', async (ctx) => {
    const { purpose, channel } = ctx.params;
    if (!isPurpose(purpose) || (channel !== 'email' && channel !== 'sms')) return;
    const interaction = await loadInteraction(ctx, deps);
    checkCsrf(ctx, settings, interaction.uid);
    if (!expectLogin(ctx, interaction, 'business')) return;
    const { lang } = interaction;
    const fieldName = channel === 'email' ? 'email' : 'mobile';
    const raw = formField(ctx, fieldName, channel === 'email' ? 254 : 32);
    const address = raw ? (channel === 'email' ? normalizeEmail(raw) : normalizeMobile(raw)) : undefined;
    if (!address) {
      const message = t(lang, channel === 'email' ? 'business.code.invalid_email' : 'business.code.invalid_mobile');
      return showCodeRequest(ctx, deps, interaction, purpose, { values: { [fieldName]: raw ?? '' }, errors: [{ field: fieldName, message }] });
    }
    // The same request again before the wait is over (a double click, the back button) sends
    // nothing more: the first code may still be on its way, and a new one would cancel it.
    const read = readFlow(interaction, AwaitingPassword, deps.now());
    const previous = read.ok && read.state.purpose === purpose && read.state.channel === channel && read.state.address === address ? read.state : undefined;
    const sending = await sendAfterWait(ctx, deps, interaction, sendsOf({ purpose, channel, address }), previous, (sent) => orderCode(ctx, interaction, { purpose, channel, address }, sent));
    if (sending.outcome === 'limited') {
      return showCodeRequest(ctx, deps, interaction, purpose, { values: { [fieldName]: raw ?? '' }, errors: [{ field: fieldName, message: t(lang, 'business.code.limited') }], status: 429 });
    }
    seeOther(ctx, passwordPath(interaction));
  });

  // "Send en ny kode": the same address again, once the wait is over.
  router.post('/interaction/:uid/business/resend', async (ctx) => {
    const interaction = await loadInteraction(ctx, deps);
    checkCsrf(ctx, settings, interaction.uid);
    if (!expectLogin(ctx, interaction, 'business')) return;
    const flow = readStep(ctx, deps, interaction, { schema: CodeSent, known: BusinessFlow, elsewhere: () => passwordPath(interaction) });
    if (!flow) return;
    const sending = await sendAfterWait(ctx, deps, interaction, sendsOf(flow), flow, (sent) => orderCode(ctx, interaction, flow, sent));
    if (sending.outcome === 'too_soon') return showPasswordPage(ctx, deps, interaction, flow, [waitError(interaction.lang, 'business.resend', sending.secondsLeft)], 429);
    if (sending.outcome === 'limited') return showPasswordPage(ctx, deps, interaction, flow, [{ field: RESEND_FIELD, message: t(interaction.lang, 'business.code.limited') }], 429);
    seeOther(ctx, passwordPath(interaction));
  });

  /** Where the password page sends a browser whose flow is not waiting for a password. */
  const notAwaitingPassword = (interaction: LoadedInteraction) => (other: BusinessFlow | undefined) =>
    `/interaction/${interaction.uid}/business/${other?.step === 'done' ? 'done' : 'activate'}`;

  router.get('/interaction/:uid/business/password', async (ctx) => {
    const interaction = await loadInteraction(ctx, deps);
    if (!expectLogin(ctx, interaction, 'business')) return;
    const flow = readStep(ctx, deps, interaction, { schema: AwaitingPassword, known: BusinessFlow, elsewhere: notAwaitingPassword(interaction) });
    if (flow) showPasswordPage(ctx, deps, interaction, flow);
  });

  // Step 2: the code (unless accepted earlier in this flow) and the new password.
  router.post('/interaction/:uid/business/password', async (ctx) => {
    const interaction = await loadInteraction(ctx, deps);
    checkCsrf(ctx, settings, interaction.uid);
    if (!expectLogin(ctx, interaction, 'business')) return;
    const flow = readStep(ctx, deps, interaction, { schema: AwaitingPassword, known: BusinessFlow, elsewhere: notAwaitingPassword(interaction) });
    if (!flow) return;
    const { lang, uid } = interaction;
    const newPassword = { password: formField(ctx, 'password', PASSWORD_MAX_LENGTH), confirmation: formField(ctx, 'confirm', PASSWORD_MAX_LENGTH) };
    const verified = flow.step === 'verified' ? flow : await acceptCode(ctx, interaction, flow, newPassword);
    if (!verified) return;
    const input = { flowId: uid, accountId: verified.verifiedAccountId, proved: flow.channel, address: flow.address, language: lang, ...newPassword };
    const result = await completeBusinessActivation(deps.db, deps.hasher, deps.counters, settings, input, requestContext(ctx, interaction), deps.now());
    if (result.status === 'gone') {
      // Disabled after the code was accepted: nothing was set; start over (and be refused like anyone disabled).
      await forgetFlow(ctx, deps);
      return seeOther(ctx, `/interaction/${uid}/business/${flow.purpose}`);
    }
    if (result.status === 'invalid') return showPasswordPage(ctx, deps, interaction, verified, problemErrors(lang, result.problems));
    // A parallel post of this step (a double click) set the password: its page is the one to show.
    if (result.status === 'already') return seeOther(ctx, `/interaction/${uid}/business/done`);
    const { purpose, channel, address } = flow;
    const { account, activated } = result;
    await saveFlowState(ctx, deps, { flow: 'business-activation', step: 'done', expiresAt: interaction.expiresAt, purpose, channel, address, accountId: account.id, email: account.email!, activated } satisfies Done);
    seeOther(ctx, `/interaction/${uid}/business/done`);
  });

  // Step 3: the login name, then on to the app.
  router.get('/interaction/:uid/business/done', async (ctx) => {
    const interaction = await loadInteraction(ctx, deps);
    if (!expectLogin(ctx, interaction, 'business')) return;
    const { lang, uid } = interaction;
    const done = readStep(ctx, deps, interaction, { schema: Done, known: BusinessFlow, elsewhere: () => `/interaction/${uid}` });
    if (!done) return;
    render(ctx, deps, {
      lang,
      title: t(lang, done.activated ? 'business.done.activated' : 'business.done.reset'),
      client: interaction.client,
      path: `/interaction/${uid}/business/done`,
      body: doneView({ lang, uid, csrf: csrfToken(settings, uid), activated: done.activated, email: done.email, clientName: interaction.client.name }),
    });
  });

  router.post('/interaction/:uid/business/continue', async (ctx) => {
    const interaction = await loadInteraction(ctx, deps);
    checkCsrf(ctx, settings, interaction.uid);
    if (!expectLogin(ctx, interaction, 'business')) return;
    const done = readStep(ctx, deps, interaction, { schema: Done, known: BusinessFlow, elsewhere: () => `/interaction/${interaction.uid}` });
    if (!done) return;
    const account = await signInAfterActivation(deps.db, done.accountId, requestContext(ctx, interaction), deps.now());
    // Disabled in the meantime: back to the sign-in page, which will refuse it.
    if (!account) return seeOther(ctx, `/interaction/${interaction.uid}`);
    await finishInteraction(ctx, deps, { login: { accountId: account.id, amr: ['otp'] } });
  });
}
