// SMS through Vonage's SMS API (@vonage/sms: POST {restHost}/sms/json, key and secret in Basic auth).
// Vonage answers HTTP 200 with a per-message status also for errors; the SDK throws an SMSFailure
// for those (always catch the base class: with the real string "message-count" it throws the
// "partial" subclass even for one failed message) and a VetchError for non-2xx HTTP answers.
import { SMS, SMSFailure, TypeEnum } from '@vonage/sms';
import type { VonageSettings } from '../../config/settings.ts';
import { normalizeMobile } from '../accounts/contact.ts';
import { DeliveryError } from '../errors.ts';
import type { Connector, Renderer } from './delivery.ts';

/** The SDK's default is no timeout at all. */
const TIMEOUT_MS = 15_000;

/** Vonage statuses worth trying again: 1 throttled, 5 internal error, 10 too many existing binds. */
const TEMPORARY_STATUS = new Set(['1', '5', '10']);

// GSM 03.38 default alphabet and extension table: text made only of these goes as one plain SMS
// (æøå included); anything else must be sent as unicode, or the operator replaces it with '?'.
const GSM = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€\f',
);
export const isGsmText = (text: string) => [...text].every((c) => GSM.has(c));

export function classifyVonageError(error: unknown): DeliveryError {
  if (error instanceof SMSFailure) {
    const failed = error.getFailedMessages()[0] as { status?: string | number; errorText?: string } | undefined;
    const status = String(failed?.status ?? '');
    return new DeliveryError(`vonage status ${status}: ${failed?.errorText ?? 'unknown'}`, TEMPORARY_STATUS.has(status) ? 'temporary' : 'permanent');
  }
  // VetchError (non-2xx): duck-typed on the fetch Response it carries.
  const httpStatus = (error as { response?: { status?: unknown } })?.response?.status;
  if (typeof httpStatus === 'number') {
    return new DeliveryError(`vonage http ${httpStatus}`, httpStatus >= 500 || httpStatus === 429 || httpStatus === 408 ? 'temporary' : 'permanent');
  }
  // Connection refused or reset, DNS, timeout (AbortError): the network, so later may work.
  const e = error as { name?: string; code?: string; message?: string };
  return new DeliveryError(`vonage ${[e?.name, e?.code, e?.message].filter(Boolean).join(' ')}`, 'temporary');
}

export function createVonageConnector(settings: VonageSettings, render: Renderer, timeoutMs: number = TIMEOUT_MS): Connector {
  // privateKey '' keeps @vonage/auth from probing the file system for a key file it will never need.
  const client = new SMS(
    { apiKey: settings.apiKey, apiSecret: settings.apiSecret, privateKey: '' },
    { restHost: settings.restHost, apiHost: settings.apiHost, timeout: timeoutMs },
  );
  return {
    async send(message) {
      if (normalizeMobile(message.to) !== message.to) throw new DeliveryError('not a valid mobile number', 'permanent');
      const { text } = render(message);
      let response: { messages?: unknown[] };
      try {
        response = await client.send({
          to: message.to.slice(1), // E.164 without the plus
          from: settings.sender,
          text,
          type: isGsmText(text) ? TypeEnum.TEXT : TypeEnum.UNICODE,
        });
      } catch (error) {
        throw classifyVonageError(error);
      }
      // The SDK does not check the body; an answer without a message status is no receipt.
      if (!response?.messages?.length) throw new DeliveryError('vonage answer without message status', 'temporary');
    },
  };
}
