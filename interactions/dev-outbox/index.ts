// Development only: the messages the console outbox "sent", so a flow can be tried in a browser.
import type Router from '@koa/router';
import type { DevOutboxEntry } from '../../src/delivery/delivery.ts';
import { html } from '../html.ts';
import { pickLanguage, t } from '../i18n.ts';
import { render, type FlowDeps } from '../flow.ts';

export function registerDevOutbox(router: Router, deps: FlowDeps, entries: DevOutboxEntry[]): void {
  router.get('/dev/outbox', (ctx) => {
    const lang = pickLanguage(ctx);
    render(ctx, deps, {
      lang,
      title: t(lang, 'outbox.title'),
      body: html`<h1>${t(lang, 'outbox.heading')}</h1>
${entries.length ? '' : html`<p>${t(lang, 'outbox.empty')}</p>`}
${entries.map((e) => html`<article><h2>${e.channel.toUpperCase()} → ${e.to}</h2><p class="hint">${new Date(e.at).toISOString()} · ${e.kind}</p><p><strong>${e.subject}</strong></p><pre>${e.text}</pre></article>`)}`,
    });
  });
}
