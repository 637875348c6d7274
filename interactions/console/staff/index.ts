// Admin: staff. The same core functions as `hk-idp staff`: invite (add + e-mail the enrolment link),
// change role, disable, enable, reset TOTP (forget both factors and e-mail a new enrolment link).
import type Router from '@koa/router';
import type { Context } from 'koa';
import { inviteStaff } from '../../../src/staff/enrolment.ts';
import { addStaff, changeStaffRole, disableStaff, enableStaff, listStaff, resetStaff, STAFF_ROLES, type Staff } from '../../../src/staff/staff.ts';
import type { FlowDeps } from '../../flow.ts';
import { html, type Html } from '../../html.ts';
import { t, type TextKey } from '../../i18n.ts';
import { field } from '../../layout.ts';
import { actorOf, adminSession, attempt, consoleAudit, csrfField, notice, posted, renderConsole, type ConsoleSession } from '../console.ts';
import { radios, select } from '../forms.ts';

export function registerStaffAdmin(router: Router, deps: FlowDeps): void {
  const roleChoices = (lang: ConsoleSession['lang']): [string, string][] => STAFF_ROLES.map((role) => [role, t(lang, `console.role.${role}`)]);

  function row(session: ConsoleSession, member: Staff, index: number): Html {
    const { lang } = session;
    const action = (name: string, label: TextKey) =>
      html`<form method="post" action="/console/staff/${name}" class="inline">${csrfField(session)}<input type="hidden" name="email" value="${member.email}"><button type="submit" class="secondary">${t(lang, label)}<span class="visually-hidden"> ${member.email}</span></button></form>`;
    return html`<tr><td>${member.name}<br>${member.email}</td><td>${t(lang, `console.status.${member.status}` as TextKey)}</td>
<td><form method="post" action="/console/staff/role" class="inline">${csrfField(session)}<input type="hidden" name="email" value="${member.email}">${select({ id: `role-${index}`, name: 'role', label: t(lang, 'console.staff.role'), choices: roleChoices(lang), value: member.role })} <button type="submit" class="secondary">${t(lang, 'console.staff.change_role')}<span class="visually-hidden"> ${member.email}</span></button></form></td>
<td>${member.status === 'disabled' ? action('enable', 'console.staff.enable') : html`${action('disable', 'console.staff.disable')} ${action('reset', 'console.staff.reset')}`}</td></tr>`;
  }

  async function showList(ctx: Context, session: ConsoleSession, message?: Html | string, status = 200): Promise<void> {
    const { lang } = session;
    const staff = await listStaff(deps.db);
    renderConsole(ctx, deps, session, {
      title: t(lang, 'console.staff.title'),
      status,
      body: html`<h1>${t(lang, 'console.staff.title')}</h1>${message ?? ''}
<div class="table-wrap" tabindex="0" role="region" aria-label="${t(lang, 'console.staff.title')}"><table><thead><tr><th scope="col">${t(lang, 'console.staff.name')}</th><th scope="col">${t(lang, 'console.staff.status')}</th><th scope="col">${t(lang, 'console.staff.role')}</th><th scope="col">${t(lang, 'console.staff.actions')}</th></tr></thead>
<tbody>${staff.map((member, i) => row(session, member, i))}</tbody></table></div>
<h2>${t(lang, 'console.staff.invite')}</h2>
<form method="post" action="/console/staff">
  ${csrfField(session)}
  ${field({ name: 'email', label: t(lang, 'console.staff.email'), type: 'email', maxlength: 254 })}
  ${field({ name: 'name', label: t(lang, 'console.staff.name'), maxlength: 200 })}
  ${radios({ name: 'role', legend: t(lang, 'console.staff.role'), choices: roleChoices(lang) })}
  <div class="actions"><button type="submit">${t(lang, 'console.staff.invite')}</button></div>
</form>`,
    });
  }

  const invite = (session: ConsoleSession, email: string) =>
    inviteStaff(deps.db, { issuer: deps.settings.issuer, ttlMs: deps.settings.invitationTtl * 1000, createdBy: actorOf(session.staff) }, email, deps.now());

  /** Runs a core action; its message (or the refusal of bad input) shows above the list. */
  const act = (ctx: Context, session: ConsoleSession, action: () => Promise<string>) =>
    attempt((message, status) => showList(ctx, session, message, status), (reason) => t(session.lang, 'console.staff.invalid', { reason }), async () => notice(await action()));

  router.get('/console/staff', async (ctx) => {
    const session = await adminSession(ctx, deps);
    if (session) await showList(ctx, session);
  });

  router.post('/console/staff', async (ctx) => {
    const session = await adminSession(ctx, deps, { post: true });
    if (!session) return;
    await act(ctx, session, async () => {
      const staff = await addStaff(deps.db, { email: posted(ctx, 'email', 254), name: posted(ctx, 'name', 200), role: posted(ctx, 'role'), language: session.lang }, deps.now());
      await consoleAudit(ctx, deps, session, 'staff.added', { accountId: staff.id, detail: { role: staff.role } });
      const { expiresAt } = await invite(session, staff.email);
      await consoleAudit(ctx, deps, session, 'staff.invited', { accountId: staff.id, detail: { expiresAt } });
      return t(session.lang, 'console.staff.invited', { email: staff.email });
    });
  });

  const actions: Record<string, (email: string, ctx: Context, session: ConsoleSession) => Promise<Staff>> = {
    role: (email, ctx) => changeStaffRole(deps.db, email, posted(ctx, 'role'), deps.now()),
    disable: (email) => disableStaff(deps.db, email, deps.now()),
    enable: (email) => enableStaff(deps.db, email, deps.now()),
    reset: async (email, _ctx, session) => {
      const staff = await resetStaff(deps.db, email, deps.now());
      await invite(session, staff.email);
      return staff;
    },
  };
  const events: Record<string, string> = { role: 'staff.role_changed', disable: 'staff.disabled', enable: 'staff.enabled', reset: 'staff.reset' };

  router.post('/console/staff/:action', async (ctx) => {
    const action = actions[ctx.params.action!];
    if (!action) return;
    const session = await adminSession(ctx, deps, { post: true });
    if (!session) return;
    await act(ctx, session, async () => {
      const staff = await action(posted(ctx, 'email', 254), ctx, session);
      await consoleAudit(ctx, deps, session, events[ctx.params.action!]!, { accountId: staff.id, detail: ctx.params.action === 'role' ? { role: staff.role } : undefined });
      return t(session.lang, 'console.staff.done', { email: staff.email });
    });
  });
}
