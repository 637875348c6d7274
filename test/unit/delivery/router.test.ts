// The SMS allow-list sits in front of every SMS connector: refused numbers never reach it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Connector, MessageRequest } from '../../../src/delivery/delivery.ts';
import { DeliveryError } from '../../../src/errors.ts';
import { createRouter, smsDestinationAllowed } from '../../../src/delivery/router.ts';

test('only E.164 numbers under an allowed country code', () => {
  assert.equal(smsDestinationAllowed('+4791234567', ['47']), true);
  assert.equal(smsDestinationAllowed('+4691234567', ['47']), false);
  assert.equal(smsDestinationAllowed('+4691234567', ['47', '46']), true);
  assert.equal(smsDestinationAllowed('+88212345678', ['47']), false);
  assert.equal(smsDestinationAllowed('4791234567', ['47']), false, 'not E.164');
  assert.equal(smsDestinationAllowed('+47', ['47']), false);
  assert.equal(smsDestinationAllowed('+47912345678901234', ['47']), false, 'too long for E.164');
  assert.equal(smsDestinationAllowed('+1 4155550100', ['1']), false);
});

test('the router sends by channel and refuses SMS outside the list before the SMS connector', async () => {
  const seen: string[] = [];
  const recording = (name: string): Connector => ({ send: async (m) => void seen.push(`${name}:${m.to}`) });
  const router = createRouter({ email: recording('email'), sms: recording('sms'), smsAllowedCountryCodes: ['47'] });
  const message = (channel: 'sms' | 'email', to: string): MessageRequest => ({ channel, to, kind: 'k', language: 'nb', params: {} });

  await router.send(message('email', 'kari@example.org'));
  await router.send(message('sms', '+4791234567'));
  await assert.rejects(router.send(message('sms', '+46701234567')), (error: unknown) => error instanceof DeliveryError && error.failure === 'refused');
  assert.deepEqual(seen, ['email:kari@example.org', 'sms:+4791234567']);
});
