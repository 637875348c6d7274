// Admin: business portal users. The same core functions as `hk-idp business-users`: add, import a
// CSV (pasted), invite, disable, enable.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { disableBusinessUser, enableBusinessUser, importBusinessUsers, inviteBusinessUser, listBusinessUsers, upsertBusinessUser } from '../../../src/accounts/business-users.ts';
import type { FlowDeps } from '../../flow.ts';
import { html, type Html } from '../../html.ts';
import { t, type TextKey } from '../../i18n.ts';
import { field } from '../../layout.ts';
import { actorOf, adminSession, attempt, byStaff, csrfField, notice, posted, renderConsole, type ConsoleSession } from '../console.ts';
import { textArea } from '../forms.ts';

const ACTIONS = { invite: 'console.business.invite', disable: 'console.business.disable', enable: 'console.business.enable' } as const;

export function registerBusinessAdmin(router: Router, deps: FlowDeps): void {
  async function showList(ctx: Context, session: ConsoleSession, message?: Html | string, status = 200): Promise<void> {
    const { lang } = session;
    const users = await listBusinessUsers(deps.db);
    const actionForm = (email: string, action: keyof typeof ACTIONS) =>
      html`<form method="post" action="/console/business-users/${action}" class="inline">${csrfField(session)}<input type="hidden" name="email" value="${email}"><button type="submit" class="secondary">${t(lang, ACTIONS[action])}<span class="visually-hidden"> ${email}</span></button></form>`;
    renderConsole(ctx, deps, session, {
      title: t(lang, 'console.business.title'),
      status,
      body: html`<h1>${t(lang, 'console.business.title')}</h1>${message ?? ''}
${users.length ? html`<div class="table-wrap" tabindex="0" role="region" aria-label="${t(lang, 'console.business.title')}"><table><thead><tr><th scope="col">${t(lang, 'console.business.email')}</th><th scope="col">${t(lang, 'console.business.org_name')}</th><th scope="col">${t(lang, 'console.business.status')}</th><th scope="col">${t(lang, 'console.staff.actions')}</th></tr></thead>
<tbody>${users.map((u) => html`<tr><td>${u.email}</td><td>${u.organizationName} (${u.organizationNumber})</td><td>${t(lang, `console.status.${u.status}` as TextKey)}</td><td>${u.status === 'invited' ? actionForm(u.email!, 'invite') : ''}${u.status === 'disabled' ? actionForm(u.email!, 'enable') : actionForm(u.email!, 'disable')}</td></tr>`)}</tbody></table></div>` : html`<p>${t(lang, 'console.business.none')}</p>`}
<h2>${t(lang, 'console.business.add')}</h2>
<form method="post" action="/console/business-users">
  ${csrfField(session)}
  ${field({ name: 'email', label: t(lang, 'console.business.email'), type: 'email', maxlength: 254 })}
  ${field({ name: 'mobile', label: t(lang, 'console.business.mobile'), type: 'tel', required: false, maxlength: 30 })}
  ${field({ name: 'given_name', label: t(lang, 'console.business.given_name'), maxlength: 200 })}
  ${field({ name: 'family_name', label: t(lang, 'console.business.family_name'), maxlength: 200 })}
  ${field({ name: 'organization_number', label: t(lang, 'console.business.org_number'), inputmode: 'numeric', maxlength: 20 })}
  ${field({ name: 'organization_name', label: t(lang, 'console.business.org_name'), maxlength: 200 })}
  <div class="actions"><button type="submit">${t(lang, 'console.business.add')}</button></div>
</form>
<h2>${t(lang, 'console.business.import')}</h2>
<form method="post" action="/console/business-users/import">
  ${csrfField(session)}
  ${textArea({ name: 'csv', label: t(lang, 'console.business.file'), hint: t(lang, 'console.business.file_hint'), rows: 6 })}
  <div class="actions"><button type="submit">${t(lang, 'console.business.import')}</button></div>
</form>`,
    });
  }

  const invite = (ctx: Context, session: ConsoleSession, email: string) =>
    inviteBusinessUser(deps.db, { issuer: deps.settings.issuer, ttlMs: deps.settings.invitationTtl * 1000, createdBy: actorOf(session.staff) }, email, deps.now(), byStaff(ctx, session));

  /** Runs a core action; an InputError becomes a refusal on the list page. */
  /** Runs a core action; its message (or the refusal of bad input) shows above the list. */
  const act = (ctx: Context, session: ConsoleSession, action: () => Promise<string>) =>
    attempt((message, status) => showList(ctx, session, message, status), (reason) => t(session.lang, 'console.business.invalid', { reason }), async () => notice(await action()));

  router.get('/console/business-users', async (ctx) => {
    const session = await adminSession(ctx, deps);
    if (session) await showList(ctx, session);
  });

  router.post('/console/business-users', async (ctx) => {
    const session = await adminSession(ctx, deps, { post: true });
    if (!session) return;
    await act(ctx, session, async () => {
      const { account } = await upsertBusinessUser(
        deps.db,
        {
          email: posted(ctx, 'email', 254),
          mobile: posted(ctx, 'mobile', 30),
          givenName: posted(ctx, 'given_name', 200),
          familyName: posted(ctx, 'family_name', 200),
          organizationNumber: posted(ctx, 'organization_number', 20),
          organizationName: posted(ctx, 'organization_name', 200),
        },
        deps.now(),
        byStaff(ctx, session),
      );
      return t(session.lang, 'console.business.done', { email: account.email! });
    });
  });

  router.post('/console/business-users/import', async (ctx) => {
    const session = await adminSession(ctx, deps, { post: true });
    if (!session) return;
    await act(ctx, session, async () => {
      const report = await importBusinessUsers(deps.db, posted(ctx, 'csv', 15_000), deps.now(), { by: byStaff(ctx, session) });
      const summary = t(session.lang, 'console.business.import_report', { added: report.added, updated: report.updated, rejected: report.rejected.length });
      return [summary, ...report.rejected.map(({ line, reason }) => `${line}: ${reason}`)].join(' ');
    });
  });

  router.post('/console/business-users/:action', async (ctx) => {
    const action = ctx.params.action as keyof typeof ACTIONS;
    if (!(action in ACTIONS)) return;
    const session = await adminSession(ctx, deps, { post: true });
    if (!session) return;
    const email = posted(ctx, 'email', 254);
    await act(ctx, session, async () => {
      const by = byStaff(ctx, session);
      const account =
        action === 'invite'
          ? (await invite(ctx, session, email)).account
          : action === 'disable'
            ? await disableBusinessUser(deps.db, email, deps.now(), by)
            : await enableBusinessUser(deps.db, email, deps.now(), by);
      return t(session.lang, 'console.business.done', { email: account.email! });
    });
  });
}
