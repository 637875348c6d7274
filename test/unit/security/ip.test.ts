import assert from 'node:assert/strict';
import { test } from 'node:test';
import { limitKey } from '../../../src/security/ip.ts';

test('IPv4 as it is; IPv4-mapped IPv6 as IPv4; IPv6 by its /64 prefix in any notation', () => {
  assert.equal(limitKey('192.0.2.1'), '192.0.2.1');
  assert.equal(limitKey('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(limitKey('2001:db8:0:1::1'), '2001:db8:0:1::/64');
  assert.equal(limitKey('2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd'), '2001:db8:0:1::/64');
  assert.equal(limitKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(limitKey('::1'), '0:0:0:0::/64');
});
