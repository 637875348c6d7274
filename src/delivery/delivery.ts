// The delivery contract: the core asks for a message of a kind, to a recipient, in a language; a
// renderer (the text catalogue in interactions/) turns it into words; a connector carries it.
import type { Language } from '../../config/vocabulary.ts';

export type Channel = 'sms' | 'email';

/** Every kind of message hk-idp sends. `params` may hold a secret (a code, a first-time password). */
export type MessageRequest = {
  channel: Channel;
  /** The stored, normalised address (E.164 number or case-folded e-mail), never what a form said. */
  to: string;
  kind: string;
  language: Language;
  params: Record<string, string>;
};

export type RenderedMessage = { subject: string; text: string; html: string };
export type Renderer = (message: MessageRequest) => RenderedMessage;

/**
 * Carries one message to SMS or e-mail. Throws when it could not: a DeliveryError says whether trying
 * again may help; anything else thrown counts as temporary.
 */
export type Connector = {
  send(message: MessageRequest): Promise<void>;
};

/**
 * temporary: network, timeout, 5xx, throttling; the outbox tries again later, until the secret expires.
 * permanent: invalid address or number, bad credentials, no template; trying again cannot help.
 * refused: hk-idp itself will not send there (a destination outside the allow-list).
 */
export type FailureKind = 'temporary' | 'permanent' | 'refused';

export type DevOutboxEntry = { id: number; at: number; channel: Channel; to: string; kind: string } & RenderedMessage;

/**
 * Development outbox: prints each message and keeps the latest ones for the /dev/outbox page, so the
 * whole flow can be tried without SMS or SMTP. It exists only where settings.devOutbox is on.
 */
export function createDevOutbox(render: Renderer, print: (line: string) => void = console.log) {
  const entries: DevOutboxEntry[] = [];
  let nextId = 1;
  const connector: Connector = {
    async send(message) {
      const rendered = render(message);
      const entry = { id: nextId++, at: Date.now(), channel: message.channel, to: message.to, kind: message.kind, ...rendered };
      entries.unshift(entry);
      entries.length = Math.min(entries.length, 200);
      print(`[dev outbox] ${message.channel} to ${message.to}: ${rendered.subject}\n${rendered.text}`);
    },
  };
  return { connector, entries };
}
