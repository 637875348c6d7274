// E-mail over SMTP with nodemailer. Every message has a subject, a plain-text and an HTML part; the
// renderer makes them. Errors are sorted into temporary (try again later) and permanent.
import nodemailer from 'nodemailer';
import type { SmtpSettings } from '../../config/settings.ts';
import { normalizeEmail } from '../accounts/contact.ts';
import { DeliveryError } from '../errors.ts';
import type { Connector, Renderer } from './delivery.ts';

/** Bounded waits, so a hanging server cannot hold a message past the outbox lease. */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000, dnsTimeout: 10_000 };

type SmtpError = { code?: string; responseCode?: number; permanent?: boolean; response?: string; message?: string };

/** nodemailer marks SMTP replies permanent (5xx) or not; a refused login or a bad setup cannot heal by waiting. */
export function classifySmtpError(error: unknown): DeliveryError {
  const e = (error ?? {}) as SmtpError;
  const permanent = e.permanent === true || (e.permanent === undefined && ['EAUTH', 'ENOAUTH', 'ECONFIG'].includes(e.code ?? ''));
  // The server's reply starts with its code; without a reply, the socket or nodemailer's own message.
  const reason = ['smtp', e.code, e.response ?? [e.responseCode, e.message].filter(Boolean).join(' ')].filter(Boolean).join(' ');
  return new DeliveryError(reason, permanent ? 'permanent' : 'temporary');
}

export function createSmtpConnector(settings: SmtpSettings, render: Renderer, timeouts: Partial<typeof TIMEOUTS> = {}): Connector & { close(): void } {
  const transport = nodemailer.createTransport({ url: settings.url, requireTLS: settings.requireTls, ...TIMEOUTS, ...timeouts });
  return {
    async send(message) {
      // Only a stored, normalised address goes out: no display name, no second address, no header injection.
      if (normalizeEmail(message.to) !== message.to) throw new DeliveryError('not a valid e-mail address', 'permanent');
      const { subject, text, html } = render(message);
      let info: { accepted: unknown[]; rejected: unknown[] };
      try {
        info = await transport.sendMail({
          from: settings.from,
          to: message.to,
          subject,
          text,
          html,
          // RFC 3834: an automatic message; auto-replies and vacation notices stay away.
          headers: { 'Auto-Submitted': 'auto-generated' },
        });
      } catch (error) {
        throw classifySmtpError(error);
      }
      if (!info.accepted.length) throw new DeliveryError('smtp recipient not accepted', 'permanent');
    },
    close: () => transport.close(),
  };
}
