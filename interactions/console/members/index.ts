// Caseworker pages: find a member, see what went wrong, send a first-time password by SMS or sign the
// member out everywhere (each with a confirmation step). Looking at a member is audited with the
// caseworker's id; so is every send and every sign-out.
import type Router from '@koa/router';
import { findMemberForCaseworker, memberEvents, searchMembers } from '../../../src/staff/member-lookup.ts';
import { sendFirstTimePasswordFromConsole, signMemberOutEverywhere } from '../../../src/staff/caseworker.ts';
import { listSessions } from '../../../src/oidc/backchannel.ts';
import type { FlowDeps } from '../../flow.ts';
import { html } from '../../html.ts';
import { t } from '../../i18n.ts';
import { consoleAudit, consolePost, consoleSession, notice, renderConsole } from '../console.ts';
import { confirmSendView, confirmSignOutView, memberView, reasonInWords, searchView } from './view.ts';

export function registerMemberPages(router: Router, deps: FlowDeps): void {
  router.get('/console/members', async (ctx) => {
    const session = await consoleSession(ctx, deps);
    if (!session) return;
    const query = typeof ctx.query.q === 'string' ? ctx.query.q.slice(0, 200) : '';
    const results = query.trim() ? await searchMembers(deps.db, query) : undefined;
    if (results) await consoleAudit(ctx, deps, session, { event: 'console.member_search', detail: { results: results.length } });
    renderConsole(ctx, deps, session, { title: t(session.lang, 'console.search.title'), body: searchView({ session, query, results }) });
  });

  router.get('/console/members/:id', async (ctx) => {
    const session = await consoleSession(ctx, deps);
    if (!session) return;
    const member = await findMemberForCaseworker(deps.db, ctx.params.id!);
    if (!member) return;
    await consoleAudit(ctx, deps, session, { event: 'console.member_viewed', accountId: member.id });
    const events = await memberEvents(deps.db, member.id);
    renderConsole(ctx, deps, session, { title: t(session.lang, 'console.member.title', { number: member.memberNumber }), body: memberView({ session, member, events }) });
  });

  router.get('/console/members/:id/send', async (ctx) => {
    const session = await consoleSession(ctx, deps);
    if (!session) return;
    const member = await findMemberForCaseworker(deps.db, ctx.params.id!);
    if (!member) return;
    renderConsole(ctx, deps, session, { title: t(session.lang, 'console.send.title'), body: confirmSendView({ session, member }) });
  });

  router.post('/console/members/:id/send', async (ctx) => {
    const session = await consolePost(ctx, deps);
    if (!session) return;
    const member = await findMemberForCaseworker(deps.db, ctx.params.id!);
    if (!member) return;
    const { lang } = session;
    const result = await sendFirstTimePasswordFromConsole(deps, session.staff, member.memberNumber, { ip: ctx.ip, userAgent: ctx.get('user-agent') });
    const message = result.sent
      ? t(lang, 'console.send.sent', { mobile: member.maskedMobile ?? '' })
      : result.reason === 'caseworker_cap'
        ? t(lang, 'console.send.cap', { n: deps.settings.consoleSmsPerCaseworkerDay })
        : t(lang, 'console.send.refused', { reason: reasonInWords(lang, result.reason) });
    const events = await memberEvents(deps.db, member.id);
    renderConsole(ctx, deps, session, {
      title: t(lang, 'console.member.title', { number: member.memberNumber }),
      status: result.sent ? 200 : 409,
      body: memberView({ session, member, events, message: result.sent ? notice(message) : html`<div class="error-summary" role="alert"><p>${message}</p></div>` }),
    });
  });

  router.get('/console/members/:id/sign-out', async (ctx) => {
    const session = await consoleSession(ctx, deps);
    if (!session) return;
    const member = await findMemberForCaseworker(deps.db, ctx.params.id!);
    if (!member) return;
    const sessions = (await listSessions(deps.db, member.id, deps.now())).length;
    renderConsole(ctx, deps, session, { title: t(session.lang, 'console.sign_out.title'), body: confirmSignOutView({ session, member, sessions }) });
  });

  router.post('/console/members/:id/sign-out', async (ctx) => {
    const session = await consolePost(ctx, deps);
    if (!session) return;
    const member = await findMemberForCaseworker(deps.db, ctx.params.id!);
    if (!member) return;
    const { lang } = session;
    const ended = await signMemberOutEverywhere(deps, session.staff, member.id, { ip: ctx.ip, userAgent: ctx.get('user-agent') });
    const events = await memberEvents(deps.db, member.id);
    renderConsole(ctx, deps, session, {
      title: t(lang, 'console.member.title', { number: member.memberNumber }),
      body: memberView({ session, member, events, message: notice(ended ? t(lang, 'console.sign_out.done', { n: ended }) : t(lang, 'console.sign_out.none')) }),
    });
  });
}
