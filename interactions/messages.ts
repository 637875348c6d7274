// Turns a message request (kind + language + params) into the words of an SMS or e-mail. Each kind
// has one template; it says what the message says (from the text catalogues), and the shared e-mail
// frame (email-frame.ts) gives every e-mail the same subject, plain-text and HTML parts, HK's name
// and the contact address.
//
// Adding a kind: put its words in texts/nb.ts and texts/en.ts as `message.<kind>.*` keys, add one
// entry to `templates` below (`firstTimePassword` is a worked example), and enqueue `{ kind, params,
// ... }` from the flow.
//
// Params are strings (they wait in the outbox as JSON); a secret goes in a `{ code }` block, links in
// `{ link }` blocks built from settings.issuer, never from a request.
import type { Language } from '../config/vocabulary.ts';
import type { Renderer } from '../src/delivery/delivery.ts';
import { DeliveryError } from '../src/errors.ts';
import { emailFrame } from './email-frame.ts';
import { t } from './i18n.ts';

/** A block of an e-mail body: a paragraph, a code or password shown prominently, or a link. */
export type MessageBlock = string | { code: string } | { link: { label: string; url: string } };

export type MessageContent = {
  /** The e-mail subject (also the title of the message in the development outbox). */
  subject: string;
  /** The e-mail body, in order; the frame adds the greeting, the signature and the contact address. */
  body: MessageBlock[];
  /** The whole SMS: short, says what the code is for, the code, and how long it is valid. Omit for e-mail-only kinds. */
  sms?: string;
};

/** What a template may need besides its params: the issuer (for the origin-bound line of a code SMS). */
export type TemplateContext = { issuer: string };

export type MessageTemplate = (lang: Language, params: Record<string, string>, context: TemplateContext) => MessageContent;

/** A duration as people say it: "7 dager", "24 timer", "1 time", "1 minutt" (whole days from 2 days up). */
export function validity(lang: Language, minutes: number): string {
  if (minutes >= 2 * 1440 && minutes % 1440 === 0) return t(lang, 'time.days', { n: minutes / 1440 });
  if (minutes >= 60 && minutes % 60 === 0) return t(lang, 'time.hours', { n: minutes / 60 });
  return t(lang, 'time.minutes', { n: minutes });
}

/**
 * The last line of an SMS with a one-time code: the origin-bound one-time code format
 * ("@login.hk.no #123456"), so browsers offer the code only on this site (WebOTP, iOS/Android autofill).
 */
export function originBoundLine(issuer: string, code: string): string {
  return `@${new URL(issuer).hostname} #${code}`;
}

// The SMS is one short segment: what it is, the secret, how long it holds, and not to share it.
const firstTimePassword: MessageTemplate = (lang, { password = '', validMinutes = '0' }) => {
  const valid = validity(lang, Number(validMinutes));
  return {
    subject: t(lang, 'message.first_time_password.subject'),
    body: [t(lang, 'message.first_time_password.intro'), { code: password }, t(lang, 'message.first_time_password.howto', { valid }), t(lang, 'message.first_time_password.ignore')],
    sms: t(lang, 'message.first_time_password.sms', { password, valid }),
  };
};

const businessCode: MessageTemplate = (lang, { code = '', minutes = '0' }, context) => {
  const valid = validity(lang, Number(minutes));
  return {
    subject: t(lang, 'message.business_code.subject'),
    body: [t(lang, 'message.business_code.intro'), { code }, t(lang, 'message.business_code.valid', { valid })],
    sms: `${t(lang, 'message.business_code.sms', { code, valid })}\n\n${originBoundLine(context.issuer, code)}`,
  };
};

/** Every kind hk-idp sends, by name. */
const templates: Record<string, MessageTemplate> = {
  'first-time-password': firstTimePassword,
  business_code_sms: businessCode,
  business_code_email: businessCode,
  business_invitation: (lang, { organization = '', link = '', days = '0' }) => ({
    subject: t(lang, 'message.business_invitation.subject'),
    body: [
      t(lang, 'message.business_invitation.intro', { organization }),
      { link: { label: t(lang, 'message.business_invitation.link'), url: link } },
      t(lang, 'message.business_invitation.valid', { valid: validity(lang, Number(days) * 1440) }),
    ],
  }),
  staff_invitation: (lang, { link = '', days = '0' }) => ({
    subject: t(lang, 'console.message.invitation.subject'),
    body: [t(lang, 'console.message.invitation.intro'), { link: { label: t(lang, 'console.message.invitation.link'), url: link } }, t(lang, 'console.message.invitation.valid', { valid: validity(lang, Number(days) * 1440) })],
  }),
  business_password_changed: (lang, { contact = '' }) => ({
    subject: t(lang, 'message.business_password_changed.subject'),
    body: [t(lang, 'message.business_password_changed.body'), t(lang, 'message.business_password_changed.warning', { contact })],
  }),
};

export function createRenderer(options: {
  contactEmail: string;
  /** The organisation's name in every e-mail (settings.brand.name). */
  brandName: string;
  /** settings.issuer: its host binds one-time codes in SMS to this site. */
  issuer: string;
  /** Kinds only this instance knows (tests); the catalogue above is the place for real ones. */
  extraTemplates?: Record<string, MessageTemplate>;
}): Renderer {
  return (message) => {
    const template = options.extraTemplates?.[message.kind] ?? templates[message.kind];
    if (!template) throw new DeliveryError(`no message template for ${message.kind}`, 'permanent');
    const content = template(message.language, message.params, { issuer: options.issuer });
    if (message.channel === 'email') return emailFrame(message.language, content, options);
    if (!content.sms) throw new DeliveryError(`message ${message.kind} has no SMS text`, 'permanent');
    return { subject: content.subject, text: content.sms, html: '' };
  };
}
