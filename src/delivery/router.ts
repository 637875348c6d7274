// One connector for the outbox: e-mail to the e-mail connector, SMS to the SMS connector, after the
// destination allow-list. Which connector carries a channel follows from the settings: SMTP and
// Vonage where configured, the development outbox where not (settings refuse a production start
// without them unless DEV_OUTBOX=true).
import type { DeliverySettings } from '../../config/settings.ts';
import { DeliveryError } from '../errors.ts';
import type { Connector, Renderer } from './delivery.ts';
import { createSmtpConnector } from './smtp.ts';
import { createVonageConnector } from './vonage.ts';

/** E.164 and under an allowed country calling code (these codes are prefix-free, so a prefix test is exact). */
export function smsDestinationAllowed(to: string, countryCodes: readonly string[]): boolean {
  return /^\+[1-9]\d{6,14}$/.test(to) && countryCodes.some((code) => to.startsWith(`+${code}`));
}

export function createRouter(routes: { email: Connector; sms: Connector; smsAllowedCountryCodes: readonly string[] }): Connector {
  return {
    async send(message) {
      if (message.channel === 'email') return routes.email.send(message);
      // Refused before any SMS API sees it: SMS to other countries costs money and invites SMS pumping.
      if (!smsDestinationAllowed(message.to, routes.smsAllowedCountryCodes)) {
        throw new DeliveryError(`country code not allowed for SMS (allowed: +${routes.smsAllowedCountryCodes.join(', +')})`, 'refused');
      }
      return routes.sms.send(message);
    },
  };
}

export type Delivery = { connector: Connector; close(): void };

/**
 * The connector the settings ask for. `replace` (tests) stands in for both channels' transports; the
 * allow-list applies all the same.
 */
export function createDelivery(settings: DeliverySettings, deps: { render: Renderer; devOutbox?: Connector; replace?: Connector }): Delivery {
  const smtp = !deps.replace && settings.smtp ? createSmtpConnector(settings.smtp, deps.render) : undefined;
  const email = deps.replace ?? smtp ?? deps.devOutbox;
  const sms = deps.replace ?? (settings.vonage ? createVonageConnector(settings.vonage, deps.render) : deps.devOutbox);
  if (!email || !sms) throw new Error(`no ${email ? 'SMS' : 'e-mail'} delivery configured`);
  return {
    connector: createRouter({ email, sms, smsAllowedCountryCodes: settings.smsAllowedCountryCodes }),
    close: () => smtp?.close(),
  };
}
