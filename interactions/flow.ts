// What every flow shares: its dependencies, loading the interaction, CSRF, reading form fields, and
// rendering a page in the person's language.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { Settings } from '../config/settings.ts';
import type { Language, LoginKind } from '../config/vocabulary.ts';
import { CsrfError } from '../src/errors.ts';
import type { PasswordHasher } from '../src/accounts/passwords.ts';
import type { SignInDeps } from '../src/accounts/sign-in.ts';
import type { CounterStore } from '../src/security/counters.ts';
import type { SendGuard } from '../src/security/send-limits.ts';
import type { Db } from '../src/storage/db.ts';
import { html, type Html } from './html.ts';
import { pickLanguage, t } from './i18n.ts';
import { page, sendPage, type FieldError, type PageClient } from './layout.ts';

export type FlowDeps = {
  settings: Settings;
  db: Db;
  provider: Provider;
  hasher: PasswordHasher;
  counters: CounterStore;
  signIn: SignInDeps;
  /** Sending limits, checked before a code or first-time password is issued. */
  sendGuard: SendGuard;
  now: () => number;
};

/** The form token: bound to this interaction, whose cookie only this browser holds. */
export function csrfToken(settings: Settings, uid: string, key: string = settings.cookieKeys[0]!): string {
  return createHmac('sha256', key).update(`csrf:${uid}`).digest('base64url');
}

/** The form that ends a sign-in and sends access_denied to its app (cancel/index.ts), for a page of that sign-in. */
export function signInCancel(settings: Settings, uid: string): NonNullable<PageClient['cancel']> {
  return { action: `/interaction/${uid}/abort`, csrf: csrfToken(settings, uid) };
}

export function checkCsrf(ctx: Context, settings: Settings, uid: string): void {
  const sent = Buffer.from(String((ctx.request.body as Record<string, unknown> | undefined)?.csrf ?? ''));
  const ok = settings.cookieKeys.some((key) => {
    const expected = Buffer.from(csrfToken(settings, uid, key));
    return expected.length === sent.length && timingSafeEqual(expected, sent);
  });
  if (!ok) throw new CsrfError('missing or wrong form token');
}

/**
 * A text field from the posted form: '' when absent, null when over `max` characters (checked
 * before any hashing or database work), control characters other than tab refused as null.
 */
export function formField(ctx: Context, name: string, max: number): string | null {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return '';
  if (typeof value !== 'string') return null;
  if ([...value].length > max) return null;
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) return null;
  return value;
}

export type LoadedInteraction = {
  details: Awaited<ReturnType<Provider['interactionDetails']>>;
  uid: string;
  prompt: string;
  params: Record<string, unknown>;
  accountId: string | undefined;
  /**
   * When the interaction expires (epoch ms), on the flows' clock (`FlowDeps.now`). The provider
   * stamps `exp` by the wall clock; carrying over the time left keeps a flow state's expiry and its
   * check on one clock, also when tests run the server's clock ahead.
   */
  expiresAt: number;
  client: PageClient & { clientId: string; login: LoginKind };
  lang: Language;
};

/** The interaction this browser is in; throws SessionNotFound (rendered as "expired") if there is none. */
export async function loadInteraction(ctx: Context, deps: FlowDeps): Promise<LoadedInteraction> {
  const details = await deps.provider.interactionDetails(ctx.req, ctx.res);
  const client = await deps.provider.Client.find(String(details.params.client_id));
  // The registration as the client holds it (camelCase): metadata() would rebuild every field in snake_case.
  const { clientName, logoUri, login } = (client ?? {}) as { clientName?: string; logoUri?: string; login?: unknown };
  return {
    details,
    uid: details.uid,
    prompt: details.prompt.name,
    params: details.params,
    accountId: details.session?.accountId,
    expiresAt: deps.now() + (details.exp * 1000 - Date.now()),
    client: {
      clientId: String(details.params.client_id),
      name: String(clientName ?? details.params.client_id),
      logoUri: logoUri ?? null,
      login: login === 'business' || login === 'staff' ? login : 'member',
      cancel: signInCancel(deps.settings, details.uid),
    },
    lang: pickLanguage(ctx, details.params.ui_locales as string | undefined),
  };
}

/**
 * Whether the interaction is asking for a sign-in with this kind of account. If not (a consent step,
 * or an app for the other kind), the browser is sent back to the interaction's entry, which shows
 * the right page, and the handler must stop.
 */
export function expectLogin(ctx: Context, interaction: LoadedInteraction, kind: LoginKind): boolean {
  if (interaction.prompt === 'login' && interaction.client.login === kind) return true;
  seeOther(ctx, `/interaction/${interaction.uid}`);
  return false;
}

// A flow is a small state machine. Its state is saved in the oidc interaction (so it is bound to this
// browser's sign-in and every instance sees it) and parsed with the flow's own zod schema when it is
// loaded: a value of another flow, another step or a corrupt one is never guessed at.

/** What every flow state carries: whose it is, which step it is at, and until when it holds (epoch ms). */
export const flowStateFields = { flow: z.string(), step: z.string(), expiresAt: z.number().int() };
export type FlowState = { flow: string; step: string; expiresAt: number };

export type FlowRead<S> =
  | { ok: true; state: S }
  /** missing: no flow state saved; other: the state of another flow or step (or unreadable); expired: past its expiresAt. */
  | { ok: false; reason: 'missing' | 'other' | 'expired' };

/**
 * The saved state if it parses as `schema` and has not expired. `schema` names the flow and the
 * step(s) it accepts with literals, so a state of any other step is `other`, not a guess.
 */
export function readFlow<S extends FlowState>(interaction: LoadedInteraction, schema: z.ZodType<S>, now: number): FlowRead<S> {
  const saved: unknown = interaction.details.result?.flow;
  if (saved === undefined || saved === null) return { ok: false, reason: 'missing' };
  const parsed = schema.safeParse(saved);
  if (!parsed.success) return { ok: false, reason: 'other' };
  if (parsed.data.expiresAt <= now) return { ok: false, reason: 'expired' };
  return { ok: true, state: parsed.data };
}

/**
 * The flow state this request read, as it was saved (expired or not, or none): requests that read the
 * same one at once (a double click) decide on the same facts; every save makes a new one.
 */
export function flowVersion(interaction: Pick<LoadedInteraction, 'details'>): string {
  return JSON.stringify(interaction.details.result?.flow ?? null);
}

/** Saves a flow's step state in the interaction (so every instance sees it) without finishing it. */
export async function saveFlowState<S extends FlowState>(ctx: Context, deps: FlowDeps, state: S): Promise<void> {
  await deps.provider.interactionResult(ctx.req, ctx.res, { flow: state }, { mergeWithLastSubmission: false });
}

/**
 * The state of a step that needs `schema`; otherwise the browser is sent on and the answer is
 * undefined. With no state, or a state `known` accepts (the flow's other steps), it goes to
 * `elsewhere` (given that state), where the flow is now; an expired state, or one of another flow or
 * unreadable, gets the one "no longer valid" page.
 */
export function readStep<S extends FlowState, K extends FlowState = never>(
  ctx: Context,
  deps: FlowDeps,
  interaction: LoadedInteraction,
  step: { schema: z.ZodType<S>; known?: z.ZodType<K>; elsewhere: (known: K | undefined) => string },
): S | undefined {
  const now = deps.now();
  const read = readFlow(interaction, step.schema, now);
  if (read.ok) return read.state;
  const known = read.reason === 'other' && step.known ? readFlow(interaction, step.known, now) : undefined;
  if (read.reason === 'missing' || known?.ok) seeOther(ctx, step.elsewhere(known?.ok ? known.state : undefined));
  else flowGone(ctx, deps, interaction);
  return undefined;
}

/** Forgets the flow's state, as if it had not started (readFlow then finds it missing). */
export async function forgetFlow(ctx: Context, deps: FlowDeps): Promise<void> {
  await deps.provider.interactionResult(ctx.req, ctx.res, {}, { mergeWithLastSubmission: false });
}

/**
 * The one page for a step reached with an expired or unusable flow state: says so in plain words and
 * offers to start the sign-in's choices again (the interaction itself is still alive).
 */
export function flowGone(ctx: Context, deps: FlowDeps, interaction: LoadedInteraction): void {
  const { lang, uid } = interaction;
  render(ctx, deps, {
    lang,
    status: 400,
    title: t(lang, 'flow.gone.title'),
    client: interaction.client,
    path: null,
    body: html`<h1>${t(lang, 'flow.gone.title')}</h1>
<p>${t(lang, 'flow.gone.body')}</p>
<div class="actions"><a class="button" href="/interaction/${uid}">${t(lang, 'flow.gone.restart')}</a></div>`,
  });
}

/** Sends the browser on to `path` with a GET (after a form post, or to the step where a flow goes on). */
export function seeOther(ctx: Context, path: string): void {
  ctx.status = 303;
  ctx.redirect(path);
}

/**
 * A signed cookie's JSON value if it parses as `schema` (an app flow's PKCE verifier and state, kept
 * in the browser between the redirect and the callback); undefined when absent, unsigned or unusable.
 */
export function signedCookieValue<T>(ctx: Context, name: string, schema: z.ZodType<T>): T | undefined {
  const text = ctx.cookies.get(name, { signed: true });
  if (!text) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Finishes the interaction with `result` and sends the browser back to the provider. */
export async function finishInteraction(ctx: Context, deps: FlowDeps, result: Record<string, unknown>): Promise<void> {
  seeOther(ctx, await deps.provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
}

/** The page's own GET address in the other language, so switching keeps the flow. */
export function switchUrl(path: string, lang: Language): string {
  return `${path}?lang=${lang === 'nb' ? 'en' : 'nb'}`;
}

export function render(
  ctx: Context,
  deps: FlowDeps,
  options: { lang: Language; title: string; body: Html; status?: number; errors?: FieldError[]; client?: PageClient | null; /** The GET address of this page (for the language switch); null hides the switch. */ path?: string | null },
): void {
  sendPage(
    ctx,
    options.status ?? (options.errors?.length ? 400 : 200),
    page({
      lang: options.lang,
      title: options.title,
      body: options.body,
      client: options.client,
      errors: options.errors,
      brand: deps.settings.brand,
      contactEmail: deps.settings.contactEmail,
      contactPhone: deps.settings.contactPhone,
      switchUrl: options.path === null ? null : switchUrl(options.path ?? ctx.path, options.lang),
    }),
  );
}

/** Where a request came from, for the audit log. */
export function requestContext(ctx: Context, interaction: LoadedInteraction): { clientId: string; ip: string; userAgent: string } {
  return { clientId: interaction.client.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent') };
}

/**
 * The interaction if it is a member sign-in still waiting for the person to sign in; otherwise the
 * browser is sent back to the interaction's start (which shows whatever it needs now).
 */
export async function loadMemberSignIn(ctx: Context, deps: FlowDeps): Promise<LoadedInteraction | undefined> {
  const interaction = await loadInteraction(ctx, deps);
  return expectLogin(ctx, interaction, 'member') ? interaction : undefined;
}
