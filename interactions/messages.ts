// Turns a message request (kind + language + params) into the words of an SMS or e-mail, from the
// text catalogue. Each flow that sends something adds its kinds here.
import type { Channel, MessageRequest, RenderedMessage } from '../src/delivery/delivery.ts';
import type { Language } from '../src/accounts/accounts.ts';
import { html } from './html.ts';
import { t } from './i18n.ts';

type Template = (lang: Language, params: Record<string, string>, channel: Channel) => RenderedMessage;

/** "24 timer", "1 time", "30 minutter". */
export function validity(lang: Language, minutes: number): string {
  if (minutes % 60 !== 0) return t(lang, 'time.minutes', { n: minutes });
  return minutes === 60 ? t(lang, 'time.hour') : t(lang, 'time.hours', { n: minutes / 60 });
}

/** Plain text in paragraphs (blank-line separated) as the HTML part of an e-mail. */
const paragraphs = (text: string) => html`${text.split('\n\n').map((p) => html`<p>${p.split('\n').map((line, i) => (i ? [html`<br>`, line] : line))}</p>`)}`.value;

// A short SMS (one GSM-7 segment where the language allows), a fuller e-mail.
const firstTimePassword: Template = (lang, params, channel) => {
  const values = { password: params.password ?? '', valid: validity(lang, Number(params.validMinutes)) };
  const text = t(lang, channel === 'sms' ? 'message.first_time_password.sms' : 'message.first_time_password.email', values);
  return { subject: t(lang, 'message.first_time_password.subject'), text, html: paragraphs(text) };
};

const templates: Record<string, Template> = {
  'first-time-password': firstTimePassword,
};

export function renderMessage(message: MessageRequest): RenderedMessage {
  const template = templates[message.kind];
  if (!template) throw new Error(`no message template for ${message.kind}`);
  return template(message.language, message.params, message.channel);
}
