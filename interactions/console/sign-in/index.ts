// The console's sign-in page, shown for clients whose login kind is `staff`: e-mail + password, then
// a TOTP code or a recovery code. The interaction finishes only after both, with amr ["pwd", "otp"];
// the password step alone only saves the 'second-factor' state (./state.ts): whose code to ask for.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { checkStaffPassword, checkStaffSecondFactor } from '../../../src/staff/sign-in.ts';
import {
  checkCsrf,
  csrfToken,
  expectLogin,
  finishInteraction,
  formField,
  loadInteraction,
  readFlow,
  readStep,
  render,
  requestContext,
  saveFlowState,
  seeOther,
  type FlowDeps,
  type LoadedInteraction,
} from '../../flow.ts';
import { t } from '../../i18n.ts';
import type { FieldError } from '../../layout.ts';
import { SecondFactorStep } from './state.ts';
import { codeView, passwordView } from './view.ts';

/**
 * The entry of a staff sign-in: the code step once this sign-in's password was accepted; otherwise
 * (no state, or one expired or not this flow's) the password step, where the sign-in starts again.
 */
export function showStaffLogin(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction): void {
  if (readFlow(interaction, SecondFactorStep, deps.now()).ok) showCodeStep(ctx, deps, interaction);
  else showPasswordStep(ctx, deps, interaction);
}

function showPasswordStep(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction, options: { email?: string; errors?: FieldError[] } = {}): void {
  const { lang, uid } = interaction;
  render(ctx, deps, {
    lang,
    title: t(lang, 'console.login.title'),
    client: interaction.client,
    errors: options.errors,
    path: `/interaction/${uid}`,
    body: passwordView({ lang, uid, csrf: csrfToken(deps.settings, uid), email: options.email, errors: options.errors }),
  });
}

function showCodeStep(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction, errors?: FieldError[]): void {
  const { lang, uid } = interaction;
  render(ctx, deps, {
    lang,
    title: t(lang, 'console.login.code_title'),
    client: interaction.client,
    errors,
    path: `/interaction/${uid}`,
    body: codeView({ lang, uid, csrf: csrfToken(deps.settings, uid), errors }),
  });
}

async function loadStaffSignIn(ctx: Context, deps: FlowDeps): Promise<LoadedInteraction | undefined> {
  const interaction = await loadInteraction(ctx, deps);
  checkCsrf(ctx, deps.settings, interaction.uid);
  return expectLogin(ctx, interaction, 'staff') ? interaction : undefined;
}

export function registerStaffLogin(router: Router, deps: FlowDeps): void {
  const factors = { ...deps.signIn, keyEncryptionKey: deps.settings.keyEncryptionKey };

  router.post('/interaction/:uid/staff/login', async (ctx) => {
    const interaction = await loadStaffSignIn(ctx, deps);
    if (!interaction) return;
    const { lang } = interaction;
    const email = formField(ctx, 'email', 254);
    const password = formField(ctx, 'password', 256);
    if (!email?.trim() || !password) {
      const message = t(lang, email === null || password === null ? 'console.login.failed' : 'console.login.missing');
      return showPasswordStep(ctx, deps, interaction, { email: email ?? '', errors: [{ field: 'email', message }] });
    }
    const { staff, throttled } = await checkStaffPassword(deps.signIn, email, password, requestContext(ctx, interaction));
    if (!staff) {
      const message = t(lang, throttled ? 'console.login.throttled' : 'console.login.failed');
      return showPasswordStep(ctx, deps, interaction, { email, errors: [{ field: 'email', message }] });
    }
    const next: SecondFactorStep = { flow: 'console-sign-in', step: 'second-factor', expiresAt: interaction.expiresAt, staffId: staff.id };
    await saveFlowState(ctx, deps, next);
    seeOther(ctx, `/interaction/${interaction.uid}`);
  });

  router.post('/interaction/:uid/staff/code', async (ctx) => {
    const interaction = await loadStaffSignIn(ctx, deps);
    if (!interaction) return;
    // No password accepted yet: the entry shows the password step.
    const passed = readStep(ctx, deps, interaction, { schema: SecondFactorStep, elsewhere: () => `/interaction/${interaction.uid}` });
    if (!passed) return;
    const { staffId } = passed;
    const code = formField(ctx, 'code', 20) ?? '';
    const { staff, throttled } = await checkStaffSecondFactor(factors, staffId, code, requestContext(ctx, interaction));
    if (!staff) {
      const message = t(interaction.lang, throttled ? 'console.login.throttled' : 'console.login.code_failed');
      return showCodeStep(ctx, deps, interaction, [{ field: 'code', message }]);
    }
    await finishInteraction(ctx, deps, { login: { accountId: staff.id, amr: ['pwd', 'otp'] } });
  });
}
