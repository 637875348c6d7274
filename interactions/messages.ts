// Turns a message request (kind + language + params) into the words of an SMS or e-mail, from the
// text catalogue. Each flow that sends something adds its kinds here.
import type { Channel, MessageRequest, RenderedMessage } from '../src/delivery/delivery.ts';
import type { Language } from '../src/accounts/accounts.ts';
import { html } from './html.ts';
import { t, type TextKey } from './i18n.ts';

type Template = (lang: Language, params: Record<string, string>, channel: Channel) => RenderedMessage;

/** "24 timer", "1 time", "30 minutter". */
export function validity(lang: Language, minutes: number): string {
  if (minutes % 60 !== 0) return t(lang, 'time.minutes', { n: minutes });
  return minutes === 60 ? t(lang, 'time.hour') : t(lang, 'time.hours', { n: minutes / 60 });
}

/** An e-mail's HTML part from its text: one paragraph per blank-line block, every value escaped; a line that is the `link` param becomes a link. */
function paragraphs(text: string, link?: string): string {
  const line = (value: string) => (link && value === link ? html`<a href="${value}">${value}</a>` : value);
  return html`${text.split('\n\n').map((block) => html`<p>${block.split('\n').map((value, i) => (i ? html`<br>${line(value)}` : line(value)))}</p>`)}`.value;
}

/** A message whose text (and e-mail HTML) is one catalogue entry. */
const fromCatalogue = (subject: TextKey, body: TextKey): Template => (lang, params) => {
  const text = t(lang, body, params);
  return { subject: t(lang, subject, params), text, html: paragraphs(text, params.link) };
};

// A short SMS (one GSM-7 segment where the language allows), a fuller e-mail.
const firstTimePassword: Template = (lang, params, channel) => {
  const values = { password: params.password ?? '', valid: validity(lang, Number(params.validMinutes)) };
  const text = t(lang, channel === 'sms' ? 'message.first_time_password.sms' : 'message.first_time_password.email', values);
  return { subject: t(lang, 'message.first_time_password.subject'), text, html: paragraphs(text) };
};

const templates: Record<string, Template> = {
  'first-time-password': firstTimePassword,
  // SMS: short, one line, the code first in the sentence so it shows in the notification.
  business_code_sms: fromCatalogue('message.business_code.subject', 'message.business_code.sms'),
  business_code_email: fromCatalogue('message.business_code.subject', 'message.business_code.email'),
  business_invitation: fromCatalogue('message.business_invitation.subject', 'message.business_invitation.text'),
  business_password_changed: fromCatalogue('message.business_password_changed.subject', 'message.business_password_changed.text'),
};

export function renderMessage(message: MessageRequest): RenderedMessage {
  const template = templates[message.kind];
  if (!template) throw new Error(`no message template for ${message.kind}`);
  return template(message.language, message.params, message.channel);
}
