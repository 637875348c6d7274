// The frame every e-mail shares: a subject, a plain-text part and an HTML part saying the same thing,
// HK's name, a greeting, a signature and the contact address. Kinds give only their own words
// (messages.ts). Styles are inline because mail programs drop style sheets; every value is escaped.
import type { Language } from '../config/vocabulary.ts';
import type { RenderedMessage } from '../src/delivery/delivery.ts';
import { DeliveryError } from '../src/errors.ts';
import { html, type Html } from './html.ts';
import { t } from './i18n.ts';
import type { MessageBlock, MessageContent } from './messages.ts';

const FONT = 'font-family:Arial,Helvetica,sans-serif;';

function checkedUrl(url: string): string {
  // Escaping cannot make a javascript: link safe; only web links go into a message.
  if (!/^https?:\/\//i.test(url)) throw new DeliveryError('message link must be http(s)', 'permanent');
  return url;
}

function blockText(block: MessageBlock): string {
  if (typeof block === 'string') return block;
  if ('code' in block) return `    ${block.code}`;
  return `${block.link.label}:\n${checkedUrl(block.link.url)}`;
}

function blockHtml(block: MessageBlock): Html {
  if (typeof block === 'string') return html`<p style="margin:0 0 16px">${block}</p>`;
  if ('code' in block) {
    return html`<p style="margin:0 0 16px;font-family:Consolas,'Courier New',monospace;font-size:24px;font-weight:bold;letter-spacing:2px">${block.code}</p>`;
  }
  return html`<p style="margin:0 0 16px"><a href="${checkedUrl(block.link.url)}" style="color:#8a0015;font-weight:bold">${block.link.label}</a></p>`;
}

export function emailFrame(lang: Language, content: MessageContent, sender: { contactEmail: string; brandName: string }): RenderedMessage {
  const { contactEmail } = sender;
  const subject = content.subject.replace(/[\r\n]+/g, ' ');
  const org = sender.brandName;
  const contact = t(lang, 'mail.contact', { email: contactEmail });
  const text = [
    t(lang, 'mail.greeting'),
    ...content.body.map(blockText),
    `${t(lang, 'mail.signature')}\n${org}`,
    `-- \n${contact}\n${t(lang, 'mail.automatic')}`,
  ].join('\n\n');
  const [before, after] = contact.split(contactEmail) as [string, string];
  const body = html`<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${subject}</title></head>
<body style="margin:0;padding:0;background:#f6f4f2">
<div style="max-width:560px;margin:0 auto;padding:24px;background:#ffffff;color:#1a1a1a;${FONT}font-size:16px;line-height:1.5">
<p style="margin:0 0 24px;font-size:20px;font-weight:bold;color:#b3001b">${org}</p>
<p style="margin:0 0 16px">${t(lang, 'mail.greeting')}</p>
${content.body.map(blockHtml)}
<p style="margin:24px 0 16px">${t(lang, 'mail.signature')}<br>${org}</p>
<hr style="border:0;border-top:1px solid #6b6b6b;margin:24px 0 16px">
<p style="margin:0;font-size:14px;color:#4a4a4a">${before}<a href="mailto:${contactEmail}" style="color:#8a0015">${contactEmail}</a>${after}<br>${t(lang, 'mail.automatic')}</p>
</div>
</body>
</html>`;
  return { subject, text, html: body.value };
}
