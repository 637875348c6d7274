// "Jeg vil ha eller har glemt passord" (order a first-time password) and "Jeg har fått nytt
// passord/PIN" (first login with it). A redeemed first-time password only opens the step where the
// member chooses a username and password (interactions/set-credentials); it never signs anyone in.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { normalizeContact, orderFirstTimePassword, redeemFirstTimePassword } from '../../src/accounts/first-time-passwords.ts';
import { throttledAttempt, typedKey } from '../../src/accounts/sign-in.ts';
import { audit } from '../../src/audit/audit.ts';
import type { Channel } from '../../src/delivery/delivery.ts';
import { checkCsrf, csrfToken, formField, loadMemberSignIn, render, requestContext, saveFlowState, type FlowDeps, type LoadedInteraction } from '../flow.ts';
import { t } from '../i18n.ts';
import type { FieldError } from '../layout.ts';
import { validity } from '../messages.ts';
import { firstLoginView, orderView, sentView } from './view.ts';

const MEMBER_NUMBER = /^\d{1,20}$/;

/** The member number typed earlier in this sign-in, so the next page need not ask again. */
const rememberedMemberNumber = (interaction: LoadedInteraction) =>
  typeof interaction.state.memberNumber === 'string' ? interaction.state.memberNumber : undefined;

function showOrder(
  ctx: Context,
  deps: FlowDeps,
  interaction: LoadedInteraction,
  values: { memberNumber?: string; channel?: Channel; contact?: string; errors?: FieldError[] } = {},
): void {
  const { lang, uid } = interaction;
  render(ctx, deps, {
    lang,
    title: t(lang, 'ftp.order.title'),
    client: interaction.client,
    errors: values.errors,
    path: `/interaction/${uid}/first-time-password`,
    body: orderView({
      lang,
      uid,
      csrf: csrfToken(deps.settings, uid),
      wipeOnOrder: deps.settings.wipeCredentials === 'on-order',
      memberNumber: values.memberNumber ?? rememberedMemberNumber(interaction),
      channel: values.channel,
      contact: values.contact,
      errors: values.errors,
    }),
  });
}

function showFirstLogin(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction, values: { memberNumber?: string; errors?: FieldError[] } = {}): void {
  const { lang, uid } = interaction;
  render(ctx, deps, {
    lang,
    title: t(lang, 'first_login.title'),
    client: interaction.client,
    errors: values.errors,
    path: `/interaction/${uid}/first-login`,
    body: firstLoginView({ lang, uid, csrf: csrfToken(deps.settings, uid), memberNumber: values.memberNumber ?? rememberedMemberNumber(interaction), errors: values.errors }),
  });
}

export function registerFirstTimePassword(router: Router, deps: FlowDeps): void {
  router.get('/interaction/:uid/first-time-password', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (interaction) showOrder(ctx, deps, interaction);
  });

  router.post('/interaction/:uid/first-time-password', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (!interaction) return;
    checkCsrf(ctx, deps.settings, interaction.uid);
    const { lang, uid } = interaction;
    const memberNumber = formField(ctx, 'member_number', 32)?.trim() ?? '';
    const channel: Channel = formField(ctx, 'channel', 8) === 'email' ? 'email' : 'sms';
    const contact = formField(ctx, 'contact', 320) ?? '';
    // Only the form of the input is checked here; nothing about what exists.
    const errors: FieldError[] = [];
    if (!MEMBER_NUMBER.test(memberNumber)) errors.push({ field: 'member_number', message: t(lang, 'ftp.order.member_number_invalid') });
    if (!normalizeContact(channel, contact)) {
      errors.push({ field: 'contact', message: t(lang, channel === 'sms' ? 'ftp.order.mobile_invalid' : 'ftp.order.email_invalid') });
    }
    if (errors.length) return showOrder(ctx, deps, interaction, { memberNumber, channel, contact, errors });

    await orderFirstTimePassword(deps.db, deps.settings, deps.sendGuard, { memberNumber, channel, contact }, requestContext(ctx, interaction), deps.now());
    await saveFlowState(ctx, deps, { memberNumber });
    // The same answer whatever was found (and the message is sent later, by the outbox worker).
    ctx.status = 303;
    ctx.redirect(`/interaction/${uid}/first-time-password/sent`);
  });

  router.get('/interaction/:uid/first-time-password/sent', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (!interaction) return;
    const { lang, uid } = interaction;
    render(ctx, deps, {
      lang,
      title: t(lang, 'ftp.sent.title'),
      client: interaction.client,
      body: sentView({ lang, uid, valid: validity(lang, Math.round(deps.settings.firstTimePasswordTtl / 60)) }),
    });
  });

  router.get('/interaction/:uid/first-login', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (interaction) showFirstLogin(ctx, deps, interaction);
  });

  router.post('/interaction/:uid/first-login', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (!interaction) return;
    checkCsrf(ctx, deps.settings, interaction.uid);
    const { lang, uid } = interaction;
    const memberNumber = formField(ctx, 'member_number', 32)?.trim();
    const password = formField(ctx, 'password', 64);
    if (!memberNumber || !password?.trim()) {
      const message = t(lang, memberNumber === undefined || password === null ? 'first_login.failed' : 'first_login.missing');
      return showFirstLogin(ctx, deps, interaction, { memberNumber: memberNumber ?? '', errors: [{ field: 'member_number', message }] });
    }
    const context = requestContext(ctx, interaction);
    // Guesses are throttled like password sign-ins, on a counter of their own: a locked password must
    // never block the way back in (NIST 800-63B §3.2.2; OWASP: lockout must not become denial of service).
    const { result: login, throttled } = await throttledAttempt(deps.signIn, typedKey(deps.signIn, 'ftp', memberNumber), ctx.ip, (allowed) =>
      redeemFirstTimePassword(deps.db, deps.settings, { memberNumber, password }, context, deps.now(), allowed),
    );
    if (throttled) await audit(deps.db, { event: 'sign_in.throttled', ...context, detail: { kind: 'member', method: 'first_time_password' } }, deps.now());
    if (!login) {
      return showFirstLogin(ctx, deps, interaction, { memberNumber, errors: [{ field: 'member_number', message: t(lang, 'first_login.failed') }] });
    }
    // Not signed in yet: the next step must save a username and a password first.
    await saveFlowState(ctx, deps, { memberNumber, firstLogin: login });
    ctx.status = 303;
    ctx.redirect(`/interaction/${uid}/credentials`);
  });
}
