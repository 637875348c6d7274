// What every console page shares: the console session (cookie → live session → staff member), its
// form token, the page frame with the console menu, the admin check, who acts (for the core's audit)
// and the audit of what staff look at.
import type { Context } from 'koa';
import type { Language } from '../../config/vocabulary.ts';
import { audit, type AuditContext, type AuditEvent } from '../../src/audit/audit.ts';
import { InputError } from '../../src/errors.ts';
import { useConsoleSession } from '../../src/staff/sessions.ts';
import { staffActor, type Staff } from '../../src/staff/staff.ts';
import { checkCsrf, csrfToken, render, type FlowDeps } from '../flow.ts';
import { html, type Html } from '../html.ts';
import { pickLanguage, t } from '../i18n.ts';
import type { FieldError } from '../layout.ts';

export type ConsoleSession = { staff: Staff; key: string; lang: Language; csrf: string };

export const consoleCookie = (deps: FlowDeps) => (deps.settings.issuer.startsWith('https:') ? '__Secure-hk_console' : 'hk_console');
export const consoleCookieOptions = (deps: FlowDeps) => ({ httpOnly: true, sameSite: 'lax' as const, secure: deps.settings.issuer.startsWith('https:'), path: '/console', signed: false, overwrite: true });

/** Who acted, as the audit log records it. */
export const actorOf = (staff: Staff) => staffActor(staff.id);

/** The staff member and request behind a console action, for the core function that audits it. */
export const byStaff = (ctx: Context, session: ConsoleSession): AuditContext => ({ actor: actorOf(session.staff), ip: ctx.ip, userAgent: ctx.get('user-agent') });

/**
 * The live console session of this request (the idle clock moves), or undefined after sending the
 * browser to the console's start page (no session, idle, too old, staff disabled).
 */
export async function consoleSession(ctx: Context, deps: FlowDeps): Promise<ConsoleSession | undefined> {
  const live = await useConsoleSession(deps.db, ctx.cookies.get(consoleCookie(deps), { signed: false }), deps.now());
  if (!live) {
    ctx.cookies.set(consoleCookie(deps), null, consoleCookieOptions(deps));
    ctx.status = 303;
    ctx.redirect('/console');
    return undefined;
  }
  const session = { ...live, lang: pickLanguage(ctx), csrf: csrfToken(deps.settings, `console:${live.key}`) };
  // Every page a staff member opens is on record (the path only: a search's words stay out of the log).
  if (ctx.method === 'GET') await consoleAudit(ctx, deps, session, { event: 'console.page_viewed', detail: { path: ctx.path } });
  return session;
}

/** Every console form carries the session's token; a post without it changes nothing (403). */
export function checkConsoleCsrf(ctx: Context, deps: FlowDeps, session: ConsoleSession): void {
  checkCsrf(ctx, deps.settings, `console:${session.key}`);
}

/** A session for a POST: live, and the form token right. */
export async function consolePost(ctx: Context, deps: FlowDeps): Promise<ConsoleSession | undefined> {
  const session = await consoleSession(ctx, deps);
  if (session) checkConsoleCsrf(ctx, deps, session);
  return session;
}

/** An admin-only page: true for admins; others get a 403 page (and the attempt is audited). */
export async function requireAdmin(ctx: Context, deps: FlowDeps, session: ConsoleSession): Promise<boolean> {
  if (session.staff.role === 'admin') return true;
  await consoleAudit(ctx, deps, session, { event: 'console.forbidden', detail: { path: ctx.path } });
  const { lang } = session;
  renderConsole(ctx, deps, session, { title: t(lang, 'console.forbidden.title'), status: 403, body: html`<h1>${t(lang, 'console.forbidden.title')}</h1><p>${t(lang, 'console.forbidden.body')}</p>` });
  return false;
}

/** What a staff member looked at in the console (`console.*`; actions are audited by the core they call). */
export async function consoleAudit(ctx: Context, deps: FlowDeps, session: ConsoleSession, entry: Extract<AuditEvent, { event: `console.${string}` }>): Promise<void> {
  await audit(deps.db, { ...entry, ...byStaff(ctx, session) }, deps.now());
}

/** The hidden form token field of every console form. */
export const csrfField = (session: ConsoleSession) => html`<input type="hidden" name="csrf" value="${session.csrf}">`;

function menu(session: ConsoleSession): Html {
  const { lang, staff } = session;
  const links: [string, Parameters<typeof t>[1]][] = [['/console/members', 'console.nav.members']];
  if (staff.role === 'admin') {
    links.push(['/console/clients', 'console.nav.clients'], ['/console/business-users', 'console.nav.business'], ['/console/staff', 'console.nav.staff'], ['/console/audit', 'console.nav.audit']);
  }
  return html`<nav class="console-nav" aria-label="${t(lang, 'console.nav.label')}">
<ul>${links.map(([href, key]) => html`<li><a href="${href}">${t(lang, key)}</a></li>`)}</ul>
<p>${t(lang, 'console.nav.signed_in_as', { name: staff.name, role: t(lang, `console.role.${staff.role}`) })}</p>
<form method="post" action="/console/logout">${csrfField(session)}<button type="submit" class="secondary">${t(lang, 'console.nav.sign_out')}</button></form>
</nav>`;
}

/** A console page: the shared layout, the console menu, never cached. */
export function renderConsole(ctx: Context, deps: FlowDeps, session: ConsoleSession, options: { title: string; body: Html; status?: number; errors?: FieldError[] }): void {
  render(ctx, deps, {
    lang: session.lang,
    title: `${options.title} – ${t(session.lang, 'console.title')}`,
    // The language switch of a page answering a form leads to the GET page the form belongs to.
    path: ctx.method === 'GET' ? ctx.path : ctx.path.replace(/\/(send|sign-out|rotate|remove|import|invite|disable|enable|role|reset)$/, ''),
    status: options.status,
    errors: options.errors,
    body: html`<div class="console">${menu(session)}${options.body}</div>`,
  });
}

/** A status line after an action (role=status, so screen readers announce it). */
export const notice = (text: string | undefined) => (text ? html`<div class="status" role="status"><p>${text}</p></div>` : '');

/** The form field a handler needs, '' when absent or not plain text of at most `max` characters. */
export function posted(ctx: Context, name: string, max = 500): string {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && [...value].length <= max ? value : '';
}

/** The session of an admin page (a POST: with its form token checked); undefined when the page has answered. */
export async function adminSession(ctx: Context, deps: FlowDeps, options: { post?: boolean } = {}): Promise<ConsoleSession | undefined> {
  const session = options.post ? await consolePost(ctx, deps) : await consoleSession(ctx, deps);
  return session && (await requireAdmin(ctx, deps, session)) ? session : undefined;
}

/** A refusal from the core (InputError), shown above the page's content. */
export const refusal = (text: string) => html`<div class="error-summary" role="alert"><p>${text}</p></div>`;

/**
 * Runs an admin action and shows `show`'s page with its outcome: the action's message, or for an
 * InputError (bad input; the core changed nothing) the refusal in words, with status 400.
 */
export async function attempt(
  show: (message: Html | string, status?: number) => Promise<void>,
  refused: (reason: string) => string,
  action: () => Promise<Html | string>,
): Promise<void> {
  let message: Html | string;
  try {
    message = await action();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return show(refusal(refused(error.message)), 400);
  }
  await show(message);
}
