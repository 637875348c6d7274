import type { Language } from '../../../config/vocabulary.ts';
import type { AuditEventName, AuditRow } from '../../../src/audit/audit.ts';
import type { MemberSummary } from '../../../src/staff/member-lookup.ts';
import { html, type Html } from '../../html.ts';
import { t, type TextKey } from '../../i18n.ts';
import { field } from '../../layout.ts';
import { csrfField, type ConsoleSession } from '../console.ts';

/** "3. des. kl. 09:12" (Norwegian time), "3 Dec at 09:12". */
export function when(lang: Language, at: number): string {
  const date = new Date(at);
  const day = new Intl.DateTimeFormat(lang === 'nb' ? 'nb-NO' : 'en-GB', { day: 'numeric', month: 'short', timeZone: 'Europe/Oslo' }).format(date);
  const time = new Intl.DateTimeFormat('nb-NO', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Oslo' }).format(date);
  return `${day} ${lang === 'nb' ? 'kl.' : 'at'} ${time}`;
}

/** The events a caseworker reads in plain words (`console.event.<name>`, a type error if a wording is missing); others show their name. */
const WORDED = [
  'first_time_password.ordered',
  'caseworker.first_time_password_sent',
  'first_time_password.accepted',
  'password.set',
  'username.set',
  'credentials.wiped',
  'sign_in.succeeded',
  'sign_in.failed',
  'sign_in.throttled',
] as const satisfies readonly AuditEventName[];
type WordedEvent = (typeof WORDED)[number];
const isWorded = (event: string): event is WordedEvent => (WORDED as readonly string[]).includes(event);

const REASONS = new Set(['unknown_member', 'inactive', 'no_contact', 'contact_mismatch', 'limited_recipient', 'limited_ip', 'limited_sms_budget']);

/** Why a first-time password was not sent, in plain words (a reason without words is shown as it is). */
export const reasonInWords = (lang: Language, reason: string) => (REASONS.has(reason) ? t(lang, `console.reason.${reason}` as TextKey) : reason);

/** An audit event in plain words: "Bestilte førstegangspassord på SMS 3. des. kl. 09:12 — ikke sendt: mobilnummeret stemte ikke". */
export function eventInWords(lang: Language, row: AuditRow): string {
  const channel = row.detail.channel === 'email' ? t(lang, 'console.channel.email') : t(lang, 'console.channel.sms');
  const { event } = row;
  const what = isWorded(event) ? t(lang, `console.event.${event}`, { channel }) : t(lang, 'console.event.other', { event });
  let outcome = '';
  if (typeof row.detail.sent === 'boolean') {
    const reason = String(row.detail.reason ?? '');
    outcome = row.detail.sent
      ? t(lang, 'console.event.sent')
      : t(lang, 'console.event.not_sent', { reason: reasonInWords(lang, reason) });
  }
  return `${what} ${when(lang, row.at)}${outcome ? ` — ${outcome}` : ''}`;
}

const statusText = (lang: Language, status: string) => t(lang, status === 'active' ? 'console.status.active' : 'console.status.inactive');

export function searchView(options: { session: ConsoleSession; query: string; results?: MemberSummary[] }): Html {
  const { lang } = options.session;
  const { results } = options;
  return html`<h1>${t(lang, 'console.search.title')}</h1>
<form method="get" action="/console/members" role="search">
  ${field({ name: 'q', label: t(lang, 'console.search.query'), value: options.query, maxlength: 200 })}
  <div class="actions"><button type="submit">${t(lang, 'console.search.submit')}</button></div>
</form>
${results === undefined ? '' : results.length === 0 ? html`<p role="status">${t(lang, 'console.search.none')}</p>` : html`<h2>${t(lang, 'console.search.results')}</h2>
<div class="table-wrap" tabindex="0" role="region" aria-label="${t(lang, 'console.search.results')}"><table>
<thead><tr><th scope="col">${t(lang, 'console.search.number')}</th><th scope="col">${t(lang, 'console.search.name')}</th><th scope="col">${t(lang, 'console.search.mobile')}</th><th scope="col">${t(lang, 'console.search.email')}</th><th scope="col">${t(lang, 'console.search.status')}</th></tr></thead>
<tbody>${results.map((m) => html`<tr><td><a href="/console/members/${m.id}">${m.memberNumber}</a></td><td>${m.name}</td><td>${m.maskedMobile ?? '–'}</td><td>${m.maskedEmail ?? '–'}</td><td>${statusText(lang, m.status)}</td></tr>`)}</tbody>
</table></div>`}`;
}

export function memberView(options: { session: ConsoleSession; member: MemberSummary; events: AuditRow[]; message?: Html | string }): Html {
  const { lang } = options.session;
  const { member } = options;
  const yesNo = (value: boolean) => t(lang, value ? 'console.yes' : 'console.no');
  return html`<h1>${t(lang, 'console.member.title', { number: member.memberNumber })}</h1>
${options.message ?? ''}
<dl class="facts">
  <dt>${t(lang, 'console.search.name')}</dt><dd>${member.name}</dd>
  <dt>${t(lang, 'console.search.mobile')}</dt><dd>${member.maskedMobile ?? '–'}</dd>
  <dt>${t(lang, 'console.search.email')}</dt><dd>${member.maskedEmail ?? '–'}</dd>
  <dt>${t(lang, 'console.search.status')}</dt><dd>${statusText(lang, member.status)}</dd>
  <dt>${t(lang, 'console.member.has_login')}</dt><dd>${yesNo(member.hasLogin)}</dd>
</dl>
${member.hasMobile ? html`<div class="actions"><a class="button" href="/console/members/${member.id}/send">${t(lang, 'console.member.send')}</a></div>` : html`<p>${t(lang, 'console.member.no_mobile')}</p>`}
<div class="actions"><a class="button secondary" href="/console/members/${member.id}/sign-out">${t(lang, 'console.member.sign_out')}</a></div>
<h2>${t(lang, 'console.member.events')}</h2>
${options.events.length ? html`<ul class="events">${options.events.map((row) => html`<li>${eventInWords(lang, row)}</li>`)}</ul>` : html`<p>${t(lang, 'console.member.no_events')}</p>`}`;
}

export function confirmSendView(options: { session: ConsoleSession; member: MemberSummary }): Html {
  const { session, member } = options;
  const { lang } = session;
  return html`<h1>${t(lang, 'console.send.title')}</h1>
<p>${t(lang, 'console.send.confirm', { name: member.name, mobile: member.maskedMobile ?? '' })}</p>
<form method="post" action="/console/members/${member.id}/send">
  ${csrfField(session)}
  <div class="actions"><button type="submit">${t(lang, 'console.send.submit')}</button> <a href="/console/members/${member.id}">${t(lang, 'console.cancel')}</a></div>
</form>`;
}

export function confirmSignOutView(options: { session: ConsoleSession; member: MemberSummary; sessions: number }): Html {
  const { session, member } = options;
  const { lang } = session;
  return html`<h1>${t(lang, 'console.sign_out.title')}</h1>
<p>${t(lang, 'console.sign_out.confirm', { name: member.name, n: options.sessions })}</p>
<form method="post" action="/console/members/${member.id}/sign-out">
  ${csrfField(session)}
  <div class="actions"><button type="submit">${t(lang, 'console.sign_out.submit')}</button> <a href="/console/members/${member.id}">${t(lang, 'console.cancel')}</a></div>
</form>`;
}
