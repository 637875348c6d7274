// A sign-in's saved flow state, read and replaced as only a test may: to see which step a flow is
// at and when it expires, and to put there a state that no request of that flow would save (another
// flow's), so the "step no longer valid" page can be shown to guard every step.
import assert from 'node:assert/strict';
import { digestOf } from '../../src/security/digest.ts';
import type { TestIdp } from './idp.ts';

export type SavedFlow = { flow: string; step: string; expiresAt: number } & Record<string, unknown>;

/** The interaction's uid in a page address (/interaction/<uid>/…). */
export function uidOf(url: string): string {
  const uid = /\/interaction\/([\w-]+)/.exec(url)?.[1];
  assert.ok(uid, `no interaction in ${url}`);
  return uid;
}

async function payloadOf(idp: TestIdp, uid: string): Promise<Record<string, any>> {
  const row = await idp.db('oidc_store').where({ model: 'Interaction', id: digestOf(uid) }).first('payload');
  assert.ok(row, `no interaction ${uid}`);
  return JSON.parse(row.payload);
}

export async function savedFlow(idp: TestIdp, uid: string): Promise<SavedFlow> {
  const flow = (await payloadOf(idp, uid)).result?.flow;
  assert.ok(flow, `interaction ${uid} has no flow state`);
  return flow;
}

/** Rewrites the saved flow state with `edit`, as time, an older version of the server or a forger would leave it. */
export async function editFlow(idp: TestIdp, uid: string, edit: (flow: Record<string, unknown>) => unknown): Promise<void> {
  const payload = await payloadOf(idp, uid);
  payload.result = { ...payload.result, flow: edit(payload.result?.flow) };
  await idp.db('oidc_store').where({ model: 'Interaction', id: digestOf(uid) }).update({ payload: JSON.stringify(payload) });
}

export async function replaceFlow(idp: TestIdp, uid: string, flow: SavedFlow): Promise<void> {
  await editFlow(idp, uid, () => flow);
}
