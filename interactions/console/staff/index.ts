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
import { actorOf, adminSession, attempt, byStaff, csrfField, notice, posted, renderConsole, type ConsoleSession } from '../console.ts';
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

  const invite = (ctx: Context, session: ConsoleSession, email: string) =>
    inviteStaff(deps.db, { issuer: deps.settings.issuer, ttlMs: deps.settings.invitationTtl * 1000, createdBy: actorOf(session.staff) }, email, deps.now(), byStaff(ctx, session));

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
      const staff = await addStaff(deps.db, { email: posted(ctx, 'email', 254), name: posted(ctx, 'name', 200), role: posted(ctx, 'role'), language: session.lang }, deps.now(), byStaff(ctx, session));
      await invite(ctx, session, staff.email);
      return t(session.lang, 'console.staff.invited', { email: staff.email });
    });
  });

  const actions: Record<string, (email: string, ctx: Context, session: ConsoleSession) => Promise<Staff>> = {
    role: (email, ctx, session) => changeStaffRole(deps.db, email, posted(ctx, 'role'), deps.now(), byStaff(ctx, session)),
    disable: (email, ctx, session) => disableStaff(deps.db, email, deps.now(), byStaff(ctx, session)),
    enable: (email, ctx, session) => enableStaff(deps.db, email, deps.now(), byStaff(ctx, session)),
    reset: async (email, ctx, session) => {
      const staff = await resetStaff(deps.db, email, deps.now(), byStaff(ctx, session));
      await invite(ctx, session, staff.email);
      return staff;
    },
  };

  router.post('/console/staff/:action', async (ctx) => {
    const action = actions[ctx.params.action!];
    if (!action) return;
    const session = await adminSession(ctx, deps, { post: true });
    if (!session) return;
    await act(ctx, session, async () => {
      const staff = await action(posted(ctx, 'email', 254), ctx, session);
      return t(session.lang, 'console.staff.done', { email: staff.email });
    });
  });
}
