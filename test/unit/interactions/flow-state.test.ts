// A flow's saved state is read only through its own schema: another flow's or step's state, a corrupt
// one and an expired one are told apart and never used.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { flowStateFields, readFlow, type LoadedInteraction } from '../../../interactions/flow.ts';

const Choosing = z.object({ ...flowStateFields, flow: z.literal('example'), step: z.literal('choose'), memberNumber: z.string() });

const withSaved = (flow: unknown) => ({ details: { result: flow === undefined ? undefined : { flow } } }) as unknown as LoadedInteraction;
const NOW = 1_000_000;

test('a state of the asked flow and step that has not expired is read, typed', () => {
  const read = readFlow(withSaved({ flow: 'example', step: 'choose', expiresAt: NOW + 1, memberNumber: '123' }), Choosing, NOW);
  assert.deepEqual(read, { ok: true, state: { flow: 'example', step: 'choose', expiresAt: NOW + 1, memberNumber: '123' } });
});

test('no saved state is missing; another step, another flow or a corrupt value is other; a past expiry is expired', () => {
  assert.deepEqual(readFlow(withSaved(undefined), Choosing, NOW), { ok: false, reason: 'missing' });
  assert.deepEqual(readFlow(withSaved({ flow: 'example', step: 'done', expiresAt: NOW + 1, memberNumber: '1' }), Choosing, NOW), { ok: false, reason: 'other' });
  assert.deepEqual(readFlow(withSaved({ flow: 'other', step: 'choose', expiresAt: NOW + 1, memberNumber: '1' }), Choosing, NOW), { ok: false, reason: 'other' });
  assert.deepEqual(readFlow(withSaved({ flow: 'example', step: 'choose', expiresAt: NOW + 1 }), Choosing, NOW), { ok: false, reason: 'other' });
  assert.deepEqual(readFlow(withSaved({ flow: 'example', step: 'choose', expiresAt: NOW, memberNumber: '1' }), Choosing, NOW), { ok: false, reason: 'expired' });
});
