// "Aktiver brukerkonto" and "Glemt passord" for business users, inside the sign-in of an app:
// 1. the person gives an e-mail or mobile, and a one-time code goes there if it belongs to a user
//    who may activate (the page says the same either way);
// 2. the code and a new password (twice), on one page;
// 3. the account is active with the new password, other sessions end, and the page shows the
//    e-mail that is now the login name before the sign-in continues to the app.
// The step state lives in the oidc interaction (saveFlowState), so it is bound to this browser's flow
// and every instance sees it.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { findAccountById, canSignIn, type Account } from '../../src/accounts/accounts.ts';
import { BUSINESS_CODE_PURPOSES, orderBusinessCode, verifyBusinessCode } from '../../src/accounts/business-activation.ts';
import { mayActivate, setBusinessPassword } from '../../src/accounts/business-users.ts';
import { normalizeEmail, normalizeMobile } from '../../src/accounts/contact.ts';
import { checkNewPassword, PASSWORD_MAX_LENGTH } from '../../src/accounts/password-policy.ts';
import { audit } from '../../src/audit/audit.ts';
import { normalizeCode } from '../../src/codes/one-time-codes.ts';
import type { Channel } from '../../src/delivery/delivery.ts';
import { claimOrderRequest, ORDER_RETRY_AFTER_SECONDS } from '../../src/security/send-limits.ts';
import { checkCsrf, csrfToken, expectLogin, finishInteraction, type FlowDeps, formField, type LoadedInteraction, loadInteraction, render, requestContext, saveFlowState } from '../flow.ts';
import { t } from '../i18n.ts';
import type { FieldError } from '../layout.ts';
import { passwordErrors } from '../password-problems.ts';
import { RESEND_FIELD, secondsToWait, waitError } from '../resend.ts';
import { codeRequestView, doneView, passwordView, purposeTitle, stepTitle, type Purpose } from './view.ts';

type BusinessFlow = {
  purpose: Purpose;
  channel: Channel;
  /** The address as typed, normalised; the code went there if it is registered. */
  address: string;
  /** When the last code was sent in this flow, and how many were sent (for "send a new code"). */
  sentAt?: number;
  sends?: number;
  /** Set once the code is accepted and the password still has to be chosen. */
  verifiedAccountId?: string;
  done?: { accountId: string; email: string; activated: boolean };
};

const isPurpose = (value: unknown): value is Purpose => value === 'activate' || value === 'reset';
const flowOf = (interaction: LoadedInteraction) => interaction.state.business as BusinessFlow | undefined;
const saveFlow = (ctx: Context, deps: FlowDeps, interaction: LoadedInteraction, flow: BusinessFlow | undefined) =>
  saveFlowState(ctx, deps, { ...interaction.state, business: flow });

function seeOther(ctx: Context, path: string): void {
  ctx.status = 303;
  ctx.redirect(path);
}

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

function showPasswordPage(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction, flow: BusinessFlow, errors?: FieldError[], status?: number): void {
  const { lang, uid } = interaction;
  render(ctx, deps, {
    lang,
    title: stepTitle(lang, flow.purpose, flow.verifiedAccountId ? 'verified' : 'password'),
    client: interaction.client,
    errors,
    status,
    path: `/interaction/${uid}/business/password`,
    body: passwordView({
      lang,
      uid,
      csrf: csrfToken(deps.settings, uid),
      purpose: flow.purpose,
      verified: Boolean(flow.verifiedAccountId),
      channel: flow.channel,
      address: flow.address,
      sends: flow.sends ?? 1,
      secondsLeft: secondsToWait(flow.sentAt, deps.now(), deps.settings.resendWait),
      minLength: deps.settings.passwordMinLength,
      codeMinutes: Math.round(deps.settings.oneTimeCodeTtl / 60),
      contactEmail: deps.settings.contactEmail,
      contactPhone: deps.settings.contactPhone,
      errors,
    }),
  });
}


export function registerBusinessActivation(router: Router, deps: FlowDeps): void {
  const { settings } = deps;
  const passwordProblems = (interaction: LoadedInteraction, password: string | null, confirmation: string | null, identifiers: (string | null)[]) =>
    passwordErrors(
      interaction.lang,
      password === null || confirmation === null ? ['too_long'] : checkNewPassword(password, confirmation, { minLength: settings.passwordMinLength, identifiers }),
      { minLength: settings.passwordMinLength, passwordField: 'password', confirmationField: 'confirm' },
    );

  /**
   * Issues a code (if the address belongs to someone who may have one) and starts the flow's next step.
   * False, and nothing recorded, when this IP has asked too much (Retry-After is set; the caller shows why).
   */
  async function sendCode(ctx: Context, interaction: LoadedInteraction, request: { purpose: Purpose; channel: Channel; address: string; sends: number }): Promise<boolean> {
    const { purpose, channel, address } = request;
    const now = deps.now();
    if (!(await claimOrderRequest(deps.counters, settings.sendLimits, ctx.ip, now))) {
      ctx.set('Retry-After', String(ORDER_RETRY_AFTER_SECONDS));
      return false;
    }
    // Only recorded here; the outbox worker matches, issues, sends and audits it (the same work whatever matches).
    await orderBusinessCode(deps.db, { channel, address, purpose: BUSINESS_CODE_PURPOSES[purpose], flowId: interaction.uid, language: interaction.lang }, requestContext(ctx, interaction), now);
    await saveFlow(ctx, deps, interaction, { purpose, channel, address, sentAt: now, sends: request.sends });
    return true;
  }

  for (const purpose of ['activate', 'reset'] as const) {
    router.get(`/interaction/:uid/business/${purpose}`, async (ctx) => {
      const interaction = await loadInteraction(ctx, deps);
      if (!expectLogin(ctx, interaction, 'business')) return;
      // Back to correct the address: the one typed before is filled in.
      const previous = flowOf(interaction);
      const values = previous && !previous.done ? { [previous.channel === 'email' ? 'email' : 'mobile']: previous.address } : undefined;
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
    const { lang, uid } = interaction;
    const fieldName = channel === 'email' ? 'email' : 'mobile';
    const raw = formField(ctx, fieldName, channel === 'email' ? 254 : 32);
    const address = raw ? (channel === 'email' ? normalizeEmail(raw) : normalizeMobile(raw)) : undefined;
    if (!address) {
      const message = t(lang, channel === 'email' ? 'business.code.invalid_email' : 'business.code.invalid_mobile');
      return showCodeRequest(ctx, deps, interaction, purpose, { values: { [fieldName]: raw ?? '' }, errors: [{ field: fieldName, message }] });
    }
    // The same request again before the wait is over (a double click, the back button) sends
    // nothing more: the first code may still be on its way, and a new one would cancel it.
    const previous = flowOf(interaction);
    const again = Boolean(previous && !previous.done && previous.purpose === purpose && previous.channel === channel && previous.address === address);
    if (!again || secondsToWait(previous!.sentAt, deps.now(), settings.resendWait) === 0) {
      if (!(await sendCode(ctx, interaction, { purpose, channel, address, sends: again ? (previous!.sends ?? 1) + 1 : 1 }))) {
        return showCodeRequest(ctx, deps, interaction, purpose, { values: { [fieldName]: raw ?? '' }, errors: [{ field: fieldName, message: t(lang, 'business.code.limited') }], status: 429 });
      }
    }
    seeOther(ctx, `/interaction/${uid}/business/password`);
  });

  // "Send en ny kode": the same address again, once the wait is over.
  router.post('/interaction/:uid/business/resend', async (ctx) => {
    const interaction = await loadInteraction(ctx, deps);
    checkCsrf(ctx, settings, interaction.uid);
    if (!expectLogin(ctx, interaction, 'business')) return;
    const flow = flowOf(interaction);
    if (!flow || flow.done || flow.verifiedAccountId) return seeOther(ctx, `/interaction/${interaction.uid}/business/password`);
    const wait = secondsToWait(flow.sentAt, deps.now(), settings.resendWait);
    if (wait > 0) return showPasswordPage(ctx, deps, interaction, flow, [waitError(interaction.lang, 'business.resend', wait)], 429);
    if (!(await sendCode(ctx, interaction, { purpose: flow.purpose, channel: flow.channel, address: flow.address, sends: (flow.sends ?? 1) + 1 }))) {
      return showPasswordPage(ctx, deps, interaction, flow, [{ field: RESEND_FIELD, message: t(interaction.lang, 'business.code.limited') }], 429);
    }
    seeOther(ctx, `/interaction/${interaction.uid}/business/password`);
  });

  router.get('/interaction/:uid/business/password', async (ctx) => {
    const interaction = await loadInteraction(ctx, deps);
    if (!expectLogin(ctx, interaction, 'business')) return;
    const flow = flowOf(interaction);
    if (!flow) return seeOther(ctx, `/interaction/${interaction.uid}/business/activate`);
    if (flow.done) return seeOther(ctx, `/interaction/${interaction.uid}/business/done`);
    showPasswordPage(ctx, deps, interaction, flow);
  });

  // Step 2: the code and the new password.
  router.post('/interaction/:uid/business/password', async (ctx) => {
    const interaction = await loadInteraction(ctx, deps);
    checkCsrf(ctx, settings, interaction.uid);
    if (!expectLogin(ctx, interaction, 'business')) return;
    const { lang, uid } = interaction;
    const flow = flowOf(interaction);
    if (!flow) return seeOther(ctx, `/interaction/${uid}/business/activate`);
    if (flow.done) return seeOther(ctx, `/interaction/${uid}/business/done`);
    const password = formField(ctx, 'password', PASSWORD_MAX_LENGTH);
    const confirmation = formField(ctx, 'confirm', PASSWORD_MAX_LENGTH);
    const request = requestContext(ctx, interaction);
    const purpose = BUSINESS_CODE_PURPOSES[flow.purpose];
    const now = deps.now();

    let account: Account | undefined;
    if (!flow.verifiedAccountId) {
      // The code is checked first: a right code is remembered in the flow (verified), so a refused
      // new password does not make the person type it again. Every refusal lists the password's
      // problems too, so none tells whether the address is registered.
      const rawCode = formField(ctx, 'code', 20);
      const code = rawCode ? normalizeCode(rawCode) : undefined;
      if (!code) {
        const errors = [{ field: 'code', message: t(lang, 'business.password.code_missing') }, ...passwordProblems(interaction, password, confirmation, [flow.address])];
        return showPasswordPage(ctx, deps, interaction, flow, errors);
      }
      const check = await verifyBusinessCode(deps.db, settings.passwordPepper, { purpose, flowId: uid, code }, now);
      if (check.outcome !== 'ok') {
        const reason = check.outcome === 'wrong' ? 'wrong' : check.reason;
        await audit(deps.db, { event: 'code.failed', accountId: check.accountId, ...request, detail: { purpose, reason } }, now);
        const message =
          check.outcome === 'wrong'
            ? t(lang, 'business.password.code_wrong', { left: check.attemptsLeft })
            : t(lang, check.reason === 'attempts' ? 'business.password.code_attempts' : 'business.password.code_dead');
        return showPasswordPage(ctx, deps, interaction, flow, [{ field: 'code', message }, ...passwordProblems(interaction, password, confirmation, [flow.address])]);
      }
      await audit(deps.db, { event: 'code.verified', accountId: check.account.id, ...request, detail: { purpose } }, now);
      account = check.account;
      flow.verifiedAccountId = account.id;
      // Kept at once: the code is used up, and a refused hash (a busy page) must not make it void.
      await saveFlow(ctx, deps, interaction, flow);
    } else {
      account = await findAccountById(deps.db, flow.verifiedAccountId);
      if (!account || !mayActivate(account)) {
        await saveFlow(ctx, deps, interaction, undefined);
        return seeOther(ctx, `/interaction/${uid}/business/${flow.purpose}`);
      }
    }

    // Now the account is known to this person: its own identifiers count too.
    const errors = passwordProblems(interaction, password, confirmation, [account.email, account.mobile, flow.address]);
    if (errors.length) {
      await saveFlow(ctx, deps, interaction, flow);
      return showPasswordPage(ctx, deps, interaction, flow, errors);
    }
    const hash = await deps.hasher.hash(password!);
    const changed = await setBusinessPassword(deps.db, account.id, hash, flow.channel, deps.now(), settings.contactEmail, lang);
    if (!changed) {
      // Disabled after the code was accepted: nothing was set; start over (and be refused like anyone disabled).
      await saveFlow(ctx, deps, interaction, undefined);
      return seeOther(ctx, `/interaction/${uid}/business/${flow.purpose}`);
    }
    const activated = changed.previousStatus === 'invited';
    await audit(deps.db, { event: activated ? 'business.activated' : 'business.password_reset', accountId: account.id, ...request, detail: { via: `${flow.channel}_code` } }, deps.now());
    await saveFlow(ctx, deps, interaction, { purpose: flow.purpose, channel: flow.channel, address: flow.address, done: { accountId: account.id, email: account.email!, activated } });
    seeOther(ctx, `/interaction/${uid}/business/done`);
  });

  // Step 3: the login name, then on to the app.
  router.get('/interaction/:uid/business/done', async (ctx) => {
    const interaction = await loadInteraction(ctx, deps);
    if (!expectLogin(ctx, interaction, 'business')) return;
    const done = flowOf(interaction)?.done;
    if (!done) return seeOther(ctx, `/interaction/${interaction.uid}`);
    const { lang, uid } = interaction;
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
    const done = flowOf(interaction)?.done;
    const account = done ? await findAccountById(deps.db, done.accountId) : undefined;
    // Disabled in the meantime: back to the sign-in page, which will refuse it.
    if (!account || !canSignIn(account)) return seeOther(ctx, `/interaction/${interaction.uid}`);
    await audit(deps.db, { event: 'sign_in.succeeded', accountId: account.id, ...requestContext(ctx, interaction), detail: { kind: 'business', via: 'one_time_code' } }, deps.now());
    await finishInteraction(ctx, deps, { login: { accountId: account.id, amr: ['otp'] } });
  });
}
