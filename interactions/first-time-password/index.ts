// "Jeg vil ha eller har glemt passord" (order a first-time password) and "Jeg har fått nytt
// passord/PIN" (first login with it). A redeemed first-time password only opens the step where the
// member chooses a username and password (interactions/set-credentials); it never signs anyone in.
import type Router from '@koa/router';
import { MEMBER_NUMBER } from '../../src/accounts/accounts.ts';
import type { Context } from 'koa';
import {
  firstLoginThrottled,
  normalizeContact,
  orderFirstTimePassword,
  type FirstLogin,
} from '../../src/accounts/first-time-passwords.ts';
import type { Channel } from '../../src/delivery/delivery.ts';
import { checkCsrf, csrfToken, flowGone, formField, loadMemberSignIn, readFlow, readStep, render, requestContext, saveFlowState, seeOther, type FlowDeps, type LoadedInteraction } from '../flow.ts';
import { t, type TextKey } from '../i18n.ts';
import type { FieldError } from '../layout.ts';
import { validity } from '../messages.ts';
import { RESEND_FIELD, secondsToWait, sendAfterWait, waitError, type Sent } from '../resend.ts';
import type { ChoosingCredentials } from '../set-credentials/state.ts';
import { KnowsMemberNumber, memberNumberOf, Ordered, type Order } from './state.ts';
import { firstLoginView, orderView, sentView } from './view.ts';

// The order form and the first-login form start this flow: a state they cannot use (none, expired,
// another flow's) only means an empty form, never the "step no longer valid" page.

/** The last order in this sign-in, if the saved state is one. */
function ordered(deps: FlowDeps, interaction: LoadedInteraction): Ordered | undefined {
  const read = readFlow(interaction, Ordered, deps.now());
  return read.ok ? read.state : undefined;
}

/** The member number typed earlier in this sign-in, so the next page need not ask again. */
function rememberedMemberNumber(deps: FlowDeps, interaction: LoadedInteraction): string | undefined {
  const read = readFlow(interaction, KnowsMemberNumber, deps.now());
  return read.ok ? memberNumberOf(read.state) : undefined;
}

type OrderFormValues = { memberNumber: string; channel: Channel; mobile: string; email: string };

/** The order form as typed, and the order it makes; only the form of the input is checked, nothing about what exists. */
function readOrderForm(ctx: Context, interaction: LoadedInteraction): { values: OrderFormValues; errors: FieldError[]; order?: Omit<Order, 'at' | 'count'> } {
  const memberNumber = formField(ctx, 'member_number', 32)?.trim() ?? '';
  const channel: Channel = formField(ctx, 'channel', 8) === 'email' ? 'email' : 'sms';
  // One field per channel, so each has the right keyboard and autofill (tel, email).
  const values = { memberNumber, channel, mobile: formField(ctx, 'mobile', 32) ?? '', email: formField(ctx, 'email', 320) ?? '' };
  const contact = normalizeContact(channel, channel === 'sms' ? values.mobile : values.email);
  const error = (field: string, key: TextKey): FieldError => ({ field, message: t(interaction.lang, key) });
  const errors: FieldError[] = [];
  if (!MEMBER_NUMBER.test(memberNumber)) errors.push(error('member_number', 'ftp.order.member_number_invalid'));
  if (!contact) errors.push(channel === 'sms' ? error('mobile', 'ftp.order.mobile_invalid') : error('email', 'ftp.order.email_invalid'));
  return { values, errors, order: errors.length || !contact ? undefined : { memberNumber, channel, contact } };
}

function showOrder(
  ctx: Context,
  deps: FlowDeps,
  interaction: LoadedInteraction,
  values: Partial<OrderFormValues> & { errors?: FieldError[]; status?: number } = {},
): void {
  const { lang, uid } = interaction;
  const last = ordered(deps, interaction)?.order;
  render(ctx, deps, {
    lang,
    status: values.status,
    title: t(lang, 'ftp.order.title'),
    client: interaction.client,
    errors: values.errors,
    path: `/interaction/${uid}/first-time-password`,
    body: orderView({
      lang,
      uid,
      csrf: csrfToken(deps.settings, uid),
      wipeOnOrder: deps.settings.wipeCredentials === 'on-order',
      memberNumber: values.memberNumber ?? rememberedMemberNumber(deps, interaction),
      // Back from the "sent" page to correct a typo: the last order's values are filled in.
      channel: values.channel ?? last?.channel,
      mobile: values.mobile ?? (last?.channel === 'sms' ? last.contact : undefined),
      email: values.email ?? (last?.channel === 'email' ? last.contact : undefined),
      errors: values.errors,
    }),
  });
}

/** The "sent" page; `state` undefined: no order in this sign-in (the page tells nothing either way). */
function showSent(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction, state: Ordered | undefined, errors?: FieldError[]): void {
  const { lang, uid } = interaction;
  const order = state?.order;
  render(ctx, deps, {
    lang,
    status: errors?.length ? 429 : 200,
    title: t(lang, 'ftp.sent.title'),
    client: interaction.client,
    errors,
    path: `/interaction/${uid}/first-time-password/sent`,
    body: sentView({
      lang,
      uid,
      csrf: csrfToken(deps.settings, uid),
      valid: validity(lang, Math.round(deps.settings.firstTimePasswordTtl / 60)),
      order,
      secondsLeft: secondsToWait(order?.at, deps.now(), deps.settings.resendWait),
      repeated: (state?.orders ?? 0) > deps.settings.sendLimits.perRecipientQuarter,
      contact: { email: deps.settings.contactEmail, phone: deps.settings.contactPhone },
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
    body: firstLoginView({ lang, uid, csrf: csrfToken(deps.settings, uid), memberNumber: values.memberNumber ?? rememberedMemberNumber(deps, interaction), errors: values.errors }),
  });
}

export function registerFirstTimePassword(router: Router, deps: FlowDeps): void {
  /** What sendAfterWait waits between sends of: this order (its member, channel and contact). */
  const sendsOf = (input: Omit<Order, 'at' | 'count'>) => ['first-time-password', input.memberNumber, input.channel, input.contact];

  /** Orders, and remembers the order in the sign-in (for "send again" and its wait): the `send` of sendAfterWait. */
  async function order(ctx: Context, interaction: LoadedInteraction, previous: Ordered | undefined, input: Omit<Order, 'at' | 'count'>, { sentAt, sends }: Sent): Promise<void> {
    // Only recorded here; the outbox worker matches, sends and audits it (the same work whatever matches).
    await orderFirstTimePassword(deps.db, { ...input, language: interaction.lang }, requestContext(ctx, interaction), sentAt);
    const next: Ordered = {
      flow: 'first-time-password',
      step: 'ordered',
      expiresAt: interaction.expiresAt,
      order: { ...input, at: sentAt, count: sends },
      orders: (previous?.orders ?? 0) + 1,
    };
    await saveFlowState(ctx, deps, next);
  }
  const limited = (interaction: LoadedInteraction): FieldError[] => [{ field: 'member_number', message: t(interaction.lang, 'ftp.order.limited') }];

  router.get('/interaction/:uid/first-time-password', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (interaction) showOrder(ctx, deps, interaction);
  });

  router.post('/interaction/:uid/first-time-password', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (!interaction) return;
    checkCsrf(ctx, deps.settings, interaction.uid);
    const { values, errors, order: typed } = readOrderForm(ctx, interaction);
    if (!typed) return showOrder(ctx, deps, interaction, { ...values, errors });
    // The same order again before the wait is over (a double click, the back button) sends nothing
    // more: the first message may still be on its way, and a new one would make it useless.
    const previous = ordered(deps, interaction);
    const last = previous?.order;
    const again = last && last.memberNumber === typed.memberNumber && last.channel === typed.channel && last.contact === typed.contact;
    const sending = await sendAfterWait(ctx, deps, interaction, sendsOf(typed), again ? { sentAt: last.at, sends: last.count } : undefined, (sent) => order(ctx, interaction, previous, typed, sent));
    if (sending.outcome === 'limited') return showOrder(ctx, deps, interaction, { ...values, errors: limited(interaction), status: 429 });
    // The same answer whatever was found (and the message is sent later, by the outbox worker).
    seeOther(ctx, `/interaction/${interaction.uid}/first-time-password/sent`);
  });

  router.get('/interaction/:uid/first-time-password/sent', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (!interaction) return;
    const read = readFlow(interaction, Ordered, deps.now());
    if (read.ok) return showSent(ctx, deps, interaction, read.state);
    // Nothing ordered in this sign-in yet: the page as it reads without an order, as ever.
    if (read.reason === 'missing') return showSent(ctx, deps, interaction, undefined);
    flowGone(ctx, deps, interaction);
  });

  // "Send again": the same order, once the wait is over.
  router.post('/interaction/:uid/first-time-password/resend', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (!interaction) return;
    checkCsrf(ctx, deps.settings, interaction.uid);
    const state = readStep(ctx, deps, interaction, { schema: Ordered, elsewhere: () => `/interaction/${interaction.uid}/first-time-password` });
    if (!state) return;
    const last = state.order;
    const again = { memberNumber: last.memberNumber, channel: last.channel, contact: last.contact };
    const sending = await sendAfterWait(ctx, deps, interaction, sendsOf(again), { sentAt: last.at, sends: last.count }, (sent) => order(ctx, interaction, state, again, sent));
    if (sending.outcome === 'too_soon') return showSent(ctx, deps, interaction, state, [waitError(interaction.lang, 'ftp.resend', sending.secondsLeft)]);
    if (sending.outcome === 'limited') return showSent(ctx, deps, interaction, state, [{ field: RESEND_FIELD, message: t(interaction.lang, 'ftp.order.limited') }]);
    seeOther(ctx, `/interaction/${interaction.uid}/first-time-password/sent`);
  });

  router.get('/interaction/:uid/first-login', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (interaction) showFirstLogin(ctx, deps, interaction);
  });

  router.post('/interaction/:uid/first-login', async (ctx) => {
    const interaction = await loadMemberSignIn(ctx, deps);
    if (!interaction) return;
    checkCsrf(ctx, deps.settings, interaction.uid);
    const { lang } = interaction;
    const memberNumber = formField(ctx, 'member_number', 32)?.trim();
    const password = formField(ctx, 'password', 64);
    if (!memberNumber || !password?.trim()) {
      const message = t(lang, memberNumber === undefined || password === null ? 'first_login.failed' : 'first_login.missing');
      return showFirstLogin(ctx, deps, interaction, { memberNumber: memberNumber ?? '', errors: [{ field: memberNumber ? 'password' : 'member_number', message }] });
    }
    const login = await firstLoginThrottled(deps, { memberNumber }, password, requestContext(ctx, interaction));
    if (!login) {
      return showFirstLogin(ctx, deps, interaction, { memberNumber, errors: [{ field: 'member_number', message: t(lang, 'first_login.failed') }] });
    }
    await toChooseCredentials(ctx, deps, interaction, memberNumber, login);
  });
}

/** A redeemed first-time password: not signed in yet; the next step must save a username and a password first. */
export async function toChooseCredentials(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction, memberNumber: string, login: FirstLogin): Promise<void> {
  const next: ChoosingCredentials = { flow: 'set-credentials', step: 'choose', expiresAt: interaction.expiresAt, memberNumber, firstLogin: login };
  await saveFlowState(ctx, deps, next);
  seeOther(ctx, `/interaction/${interaction.uid}/credentials`);
}
