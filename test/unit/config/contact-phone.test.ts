// CONTACT_PHONE and CONTACT_PHONE_HOURS: validated at start, turned into a tel: URI and opening hours.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadSettings } from '../../../config/settings.ts';

const base = { NODE_ENV: 'test', DEMO: 'false' };
const failsOn = (env: Record<string, string>, variable: string) =>
  assert.throws(() => loadSettings({ ...base, ...env }), (error: unknown) => error instanceof ConfigError && error.variable === variable);

test('unset: no phone, and pages say nothing about calling', () => {
  assert.equal(loadSettings(base).contactPhone, null);
});

test('a Norwegian number is dialled with +47; an international one as written; hours are kept', () => {
  assert.deepEqual(loadSettings({ ...base, CONTACT_PHONE: '23 06 40 00' }).contactPhone, { display: '23 06 40 00', uri: 'tel:+4723064000', hours: null });
  assert.deepEqual(loadSettings({ ...base, CONTACT_PHONE: '+46 8 123 456 78', CONTACT_PHONE_HOURS: '08:00-15:30' }).contactPhone, {
    display: '+46 8 123 456 78',
    uri: 'tel:+46812345678',
    hours: { from: '08:00', to: '15:30' },
  });
});

test('what is not a phone number or opening hours stops the start, naming the variable', () => {
  for (const phone of ['ring oss', '123', 'tel:23064000', '23-06-40-00', `2306${'0'.repeat(30)}`]) failsOn({ CONTACT_PHONE: phone }, 'CONTACT_PHONE');
  for (const hours of ['8-16', '08:00–15:30', '16:00-08:00', '24:00-25:00', 'hverdager']) failsOn({ CONTACT_PHONE: '23064000', CONTACT_PHONE_HOURS: hours }, 'CONTACT_PHONE_HOURS');
  failsOn({ CONTACT_PHONE_HOURS: '08:00-15:30' }, 'CONTACT_PHONE_HOURS');
});
