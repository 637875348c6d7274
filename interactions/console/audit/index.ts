// Admin: the audit log, filtered by event, account, who acted and dates, 50 at a time.
import type Router from '@koa/router';
import { searchAudit, type AuditFilter } from '../../../src/staff/audit-search.ts';
import type { FlowDeps } from '../../flow.ts';
import { html } from '../../html.ts';
import { t } from '../../i18n.ts';
import { field } from '../../layout.ts';
import { adminSession, consoleAudit, renderConsole } from '../console.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function registerAuditLog(router: Router, deps: FlowDeps): void {
  router.get('/console/audit', async (ctx) => {
    const session = await adminSession(ctx, deps);
    if (!session) return;
    const { lang } = session;
    const text = (name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string).trim().slice(0, 100) : '');
    const day = (name: string) => (DATE.test(text(name)) ? Date.parse(`${text(name)}T00:00:00Z`) : undefined);
    const before = Number(text('before'));
    const filter: AuditFilter = {
      event: text('event') || undefined,
      accountId: text('account') || undefined,
      actor: text('actor') || undefined,
      from: day('from'),
      to: day('to') === undefined ? undefined : day('to')! + 24 * 3600_000,
      before: Number.isInteger(before) && before > 0 ? before : undefined,
    };
    const { rows, more } = await searchAudit(deps.db, filter);
    await consoleAudit(ctx, deps, session, { event: 'console.audit_viewed' });
    const params = new URLSearchParams(Object.entries({ event: text('event'), account: text('account'), actor: text('actor'), from: text('from'), to: text('to') }).filter(([, v]) => v));
    const older = more ? `/console/audit?${new URLSearchParams([...params, ['before', String(rows.at(-1)!.id)]])}` : undefined;
    renderConsole(ctx, deps, session, {
      title: t(lang, 'console.audit.title'),
      body: html`<h1>${t(lang, 'console.audit.title')}</h1>
<form method="get" action="/console/audit" class="filters">
  ${field({ name: 'event', label: t(lang, 'console.audit.event'), value: text('event'), required: false, maxlength: 100 })}
  ${field({ name: 'account', label: t(lang, 'console.audit.account'), value: text('account'), required: false, maxlength: 64 })}
  ${field({ name: 'actor', label: t(lang, 'console.audit.actor'), value: text('actor'), required: false, maxlength: 100 })}
  ${field({ name: 'from', label: t(lang, 'console.audit.from'), type: 'date', value: text('from'), required: false })}
  ${field({ name: 'to', label: t(lang, 'console.audit.to'), type: 'date', value: text('to'), required: false })}
  <div class="actions"><button type="submit">${t(lang, 'console.audit.filter')}</button></div>
</form>
${rows.length ? html`<div class="table-wrap" tabindex="0" role="region" aria-label="${t(lang, 'console.audit.title')}"><table><thead><tr><th scope="col">${t(lang, 'console.audit.time')}</th><th scope="col">${t(lang, 'console.audit.event')}</th><th scope="col">${t(lang, 'console.audit.account')}</th><th scope="col">${t(lang, 'console.audit.actor')}</th></tr></thead>
<tbody>${rows.map((row) => html`<tr><td>${new Date(row.at).toISOString().replace('T', ' ').slice(0, 19)}</td><td>${row.event}${Object.keys(row.detail).length ? html`<br><code>${JSON.stringify(row.detail)}</code>` : ''}</td><td>${row.accountId ?? '–'}</td><td>${row.actor ?? '–'}</td></tr>`)}</tbody></table></div>` : html`<p>${t(lang, 'console.audit.none')}</p>`}
<div class="actions">${filter.before ? html`<a href="/console/audit${params.size ? `?${params}` : ''}">${t(lang, 'console.audit.newest')}</a> ` : ''}${older ? html`<a href="${older}">${t(lang, 'console.audit.older')}</a>` : ''}</div>`,
    });
  });
}
