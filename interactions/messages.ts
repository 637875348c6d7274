// Turns a message request (kind + language + params) into the words of an SMS or e-mail, from the
// text catalogue. Each flow that sends something adds its kinds here.
import type { MessageRequest, RenderedMessage } from '../src/delivery/delivery.ts';
import type { Language } from '../src/accounts/accounts.ts';

type Template = (lang: Language, params: Record<string, string>) => RenderedMessage;

const templates: Record<string, Template> = {};

export function renderMessage(message: MessageRequest): RenderedMessage {
  const template = templates[message.kind];
  if (!template) throw new Error(`no message template for ${message.kind}`);
  return template(message.language, message.params);
}
