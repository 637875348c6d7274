// The console's sign-in page, shown for clients whose login kind is `staff`: e-mail + password, then
// a TOTP code or a recovery code. The interaction finishes only after both, with amr ["pwd", "otp"];
// the password step alone only remembers (in the interaction) whose code to ask for.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { checkStaffPassword, checkStaffSecondFactor } from '../../../src/staff/sign-in.ts';
import { checkCsrf, csrfToken, expectLogin, finishInteraction, formField, loadInteraction, render, requestContext, saveFlowState, type FlowDeps, type LoadedInteraction } from '../../flow.ts';
import { t } from '../../i18n.ts';
import type { FieldError } from '../../layout.ts';
import { codeView, passwordView } from './view.ts';

const passwordPassed = (interaction: LoadedInteraction) => (typeof interaction.state.staffId === 'string' ? interaction.state.staffId : undefined);

export function showStaffLogin(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction, options: { email?: string; errors?: FieldError[] } = {}): void {
  const { lang, uid } = interaction;
  const csrf = csrfToken(deps.settings, uid);
  const second = passwordPassed(interaction);
  render(ctx, deps, {
    lang,
    title: t(lang, second ? 'console.login.code_title' : 'console.login.title'),
    client: interaction.client,
    errors: options.errors,
    path: `/interaction/${uid}`,
    body: second ? codeView({ lang, uid, csrf, errors: options.errors }) : passwordView({ lang, uid, csrf, email: options.email, errors: options.errors }),
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
      return showStaffLogin(ctx, deps, interaction, { email: email ?? '', errors: [{ field: 'email', message }] });
    }
    const { staff, throttled } = await checkStaffPassword(deps.signIn, email, password, requestContext(ctx, interaction));
    if (!staff) {
      const message = t(lang, throttled ? 'console.login.throttled' : 'console.login.failed');
      return showStaffLogin(ctx, deps, interaction, { email, errors: [{ field: 'email', message }] });
    }
    await saveFlowState(ctx, deps, { staffId: staff.id });
    ctx.status = 303;
    ctx.redirect(`/interaction/${interaction.uid}`);
  });

  router.post('/interaction/:uid/staff/code', async (ctx) => {
    const interaction = await loadStaffSignIn(ctx, deps);
    if (!interaction) return;
    const staffId = passwordPassed(interaction);
    if (!staffId) {
      ctx.status = 303;
      return ctx.redirect(`/interaction/${interaction.uid}`);
    }
    const { lang } = interaction;
    const code = formField(ctx, 'code', 20) ?? '';
    const { staff, throttled } = await checkStaffSecondFactor(factors, staffId, code, requestContext(ctx, interaction));
    if (!staff) {
      const message = t(lang, throttled ? 'console.login.throttled' : 'console.login.code_failed');
      return showStaffLogin(ctx, deps, interaction, { errors: [{ field: 'code', message }] });
    }
    await finishInteraction(ctx, deps, { login: { accountId: staff.id, amr: ['pwd', 'otp'] } });
  });
}
