// Admin: client apps. The same core functions as `hk-idp clients` (src/clients/clients.ts), so the
// same validation; the secret of a confidential client is shown once, after adding or rotating.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { addClient, getClient, listClients, removeClient, rotateSecret, updateClient, type ClientInput, type ClientRecord } from '../../../src/clients/clients.ts';
import { CONSOLE_CLIENT_ID } from '../../../src/staff/console-client.ts';
import type { FlowDeps } from '../../flow.ts';
import { html, type Html } from '../../html.ts';
import { t } from '../../i18n.ts';
import { field } from '../../layout.ts';
import { adminSession, attempt, byStaff, csrfField, notice, posted, renderConsole, type ConsoleSession } from '../console.ts';
import { checkBox, lines, radios, textArea } from '../forms.ts';

function clientForm(session: ConsoleSession, action: string, client?: ClientRecord): Html {
  const { lang } = session;
  return html`<form method="post" action="${action}">
  ${csrfField(session)}
  ${field({ name: 'name', label: t(lang, 'console.clients.name'), value: client?.name, maxlength: 200 })}
  ${radios({ name: 'login', legend: t(lang, 'console.clients.login'), value: client?.login, choices: [['member', t(lang, 'console.clients.login.member')], ['business', t(lang, 'console.clients.login.business')]] })}
  ${checkBox({ name: 'first_party', label: t(lang, 'console.clients.first_party'), checked: client?.firstParty })}
  ${client ? '' : checkBox({ name: 'public', label: t(lang, 'console.clients.public') })}
  ${textArea({ name: 'redirect_uris', label: t(lang, 'console.clients.redirect_uris'), hint: t(lang, 'console.clients.uris_hint'), value: client?.redirectUris.join('\n') })}
  ${textArea({ name: 'post_logout_uris', label: t(lang, 'console.clients.post_logout_uris'), hint: t(lang, 'console.clients.uris_hint'), value: client?.postLogoutRedirectUris.join('\n') })}
  ${field({ name: 'logo_uri', label: t(lang, 'console.clients.logo_uri'), value: client?.logoUri ?? '', required: false, maxlength: 500 })}
  <div class="actions"><button type="submit">${t(lang, 'console.clients.save')}</button></div>
</form>`;
}

/** The posted form as the core's input (it validates). */
function clientInput(ctx: Context): ClientInput {
  return {
    name: posted(ctx, 'name', 200),
    login: posted(ctx, 'login') as ClientInput['login'],
    firstParty: posted(ctx, 'first_party') === 'yes',
    public: posted(ctx, 'public') === 'yes',
    redirectUris: lines(posted(ctx, 'redirect_uris', 5000)),
    postLogoutRedirectUris: lines(posted(ctx, 'post_logout_uris', 5000)),
    logoUri: posted(ctx, 'logo_uri') || null,
  };
}

const editable = (client: ClientRecord | undefined) => (client && client.clientId !== CONSOLE_CLIENT_ID ? client : undefined);

export function registerClientAdmin(router: Router, deps: FlowDeps): void {
  const production = deps.settings.mode === 'production';

  async function showList(ctx: Context, session: ConsoleSession, message?: Html | string, status = 200): Promise<void> {
    const { lang } = session;
    const clients = (await listClients(deps.db)).filter((c) => c.clientId !== CONSOLE_CLIENT_ID);
    renderConsole(ctx, deps, session, {
      title: t(lang, 'console.clients.title'),
      status,
      body: html`<h1>${t(lang, 'console.clients.title')}</h1>${message ?? ''}
${clients.length ? html`<div class="table-wrap" tabindex="0" role="region" aria-label="${t(lang, 'console.clients.title')}"><table><thead><tr><th scope="col">${t(lang, 'console.clients.name')}</th><th scope="col">${t(lang, 'console.clients.id')}</th><th scope="col">${t(lang, 'console.clients.login')}</th></tr></thead>
<tbody>${clients.map((c) => html`<tr><td><a href="/console/clients/${c.clientId}">${c.name}</a></td><td><code>${c.clientId}</code></td><td>${t(lang, c.login === 'business' ? 'console.clients.login.business' : 'console.clients.login.member')}</td></tr>`)}</tbody></table></div>` : html`<p>${t(lang, 'console.clients.none')}</p>`}
<h2>${t(lang, 'console.clients.add')}</h2>
${clientForm(session, '/console/clients')}`,
    });
  }

  const refused = (lang: ConsoleSession['lang']) => (reason: string) => t(lang, 'console.clients.invalid', { reason });
  const secretNotice = (lang: ConsoleSession['lang'], client: ClientRecord, secret: string | null) =>
    html`<div class="status" role="status"><p>${t(lang, 'console.clients.saved', { name: client.name })}</p><p>${t(lang, 'console.clients.id')}: <code>${client.clientId}</code></p>${secret ? html`<p>${t(lang, 'console.clients.secret', { secret })}</p>` : ''}</div>`;

  router.get('/console/clients', async (ctx) => {
    const session = await adminSession(ctx, deps);
    if (session) await showList(ctx, session);
  });

  router.post('/console/clients', async (ctx) => {
    const session = await adminSession(ctx, deps, { post: true });
    if (!session) return;
    await attempt((message, status) => showList(ctx, session, message, status), refused(session.lang), async () => {
      const { client, secret } = await addClient(deps.db, clientInput(ctx), { production, by: byStaff(ctx, session), now: deps.now() });
      return secretNotice(session.lang, client, secret);
    });
  });

  async function showClient(ctx: Context, session: ConsoleSession, client: ClientRecord, message?: Html | string, status = 200): Promise<void> {
    const { lang } = session;
    const base = `/console/clients/${client.clientId}`;
    renderConsole(ctx, deps, session, {
      title: client.name,
      status,
      body: html`<h1>${client.name}</h1>${message ?? ''}<p>${t(lang, 'console.clients.id')}: <code>${client.clientId}</code></p>
${clientForm(session, base, client)}
<div class="actions">${client.public ? '' : html`<a class="button secondary" href="${base}/rotate">${t(lang, 'console.clients.rotate')}</a> `}<a class="button secondary" href="${base}/remove">${t(lang, 'console.clients.remove')}</a></div>`,
    });
  }

  router.get('/console/clients/:id', async (ctx) => {
    const session = await adminSession(ctx, deps);
    const client = session && editable(await getClient(deps.db, ctx.params.id!));
    if (session && client) await showClient(ctx, session, client);
  });

  router.post('/console/clients/:id', async (ctx) => {
    const session = await adminSession(ctx, deps, { post: true });
    const client = session && editable(await getClient(deps.db, ctx.params.id!));
    if (!session || !client) return;
    const { public: _public, ...changes } = clientInput(ctx);
    let shown = client;
    await attempt((message, status) => showClient(ctx, session, shown, message, status), refused(session.lang), async () => {
      shown = await updateClient(deps.db, client.clientId, changes, { production, by: byStaff(ctx, session), now: deps.now() });
      return notice(t(session.lang, 'console.clients.saved', { name: shown.name }));
    });
  });

  // Rotating and removing each ask first (a GET page with the confirming form).
  for (const [action, question] of [['rotate', 'console.clients.rotate_confirm'], ['remove', 'console.clients.remove_confirm']] as const) {
    router.get(`/console/clients/:id/${action}`, async (ctx) => {
      const session = await adminSession(ctx, deps);
      const client = session && editable(await getClient(deps.db, ctx.params.id!));
      if (!session || !client) return;
      const { lang } = session;
      const label = t(lang, action === 'rotate' ? 'console.clients.rotate' : 'console.clients.remove');
      renderConsole(ctx, deps, session, {
        title: label,
        body: html`<h1>${label}</h1><p>${t(lang, question, { name: client.name })}</p>
<form method="post" action="/console/clients/${client.clientId}/${action}">${csrfField(session)}<div class="actions"><button type="submit">${label}</button> <a href="/console/clients/${client.clientId}">${t(lang, 'console.cancel')}</a></div></form>`,
      });
    });
  }

  router.post('/console/clients/:id/rotate', async (ctx) => {
    const session = await adminSession(ctx, deps, { post: true });
    const client = session && editable(await getClient(deps.db, ctx.params.id!));
    if (!session || !client) return;
    await attempt((message, status) => showClient(ctx, session, client, message, status), refused(session.lang), async () => {
      const secret = await rotateSecret(deps.db, client.clientId, byStaff(ctx, session), deps.now());
      return secretNotice(session.lang, client, secret);
    });
  });

  router.post('/console/clients/:id/remove', async (ctx) => {
    const session = await adminSession(ctx, deps, { post: true });
    const client = session && editable(await getClient(deps.db, ctx.params.id!));
    if (!session || !client) return;
    await removeClient(deps.db, client.clientId, byStaff(ctx, session), deps.now());
    await showList(ctx, session, notice(t(session.lang, 'console.clients.removed')));
  });
}
