// oidc-provider storage adapter on knex. Every model shares one table; the indexed columns serve the
// look-ups the provider makes (uid, user code, grant id) and ours (all artefacts of one account).
import type { Db } from '../storage/db.ts';
import { findClientMetadata } from '../clients/clients.ts';

type Payload = Record<string, unknown> & {
  grantId?: string;
  uid?: string;
  userCode?: string;
  accountId?: string;
  consumed?: unknown;
};

// Rows outlive their expiry by the provider's clock tolerance, as its own memory adapter does.
const GRACE_MS = 15_000;

export function createAdapterFactory(db: Db, now: () => number = Date.now) {
  return (model: string) => (model === 'Client' ? new ClientAdapter(db) : new KnexAdapter(db, model, now));
}

export class KnexAdapter {
  readonly db: Db;
  readonly model: string;
  readonly now: () => number;

  constructor(db: Db, model: string, now: () => number) {
    this.db = db;
    this.model = model;
    this.now = now;
  }

  async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
    const row = {
      model: this.model,
      id,
      payload: JSON.stringify(payload),
      grant_id: payload.grantId ?? null,
      uid: payload.uid ?? null,
      user_code: payload.userCode ?? null,
      account_id: payload.accountId ?? null,
      expires_at: expiresIn ? this.now() + expiresIn * 1000 + GRACE_MS : null,
      consumed_at: null,
    };
    await this.db('oidc_store').insert(row).onConflict(['model', 'id']).merge();
  }

  async find(id: string): Promise<Payload | undefined> {
    return this.findBy('id', id);
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    return this.findBy('uid', uid);
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    return this.findBy('user_code', userCode);
  }

  async consume(id: string): Promise<void> {
    await this.db('oidc_store').where({ model: this.model, id }).update({ consumed_at: this.now() });
  }

  async destroy(id: string): Promise<void> {
    await this.db('oidc_store').where({ model: this.model, id }).delete();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db('oidc_store').where({ model: this.model, grant_id: grantId }).delete();
  }

  private async findBy(column: 'id' | 'uid' | 'user_code', value: string): Promise<Payload | undefined> {
    if (typeof value !== 'string') return undefined;
    const row = await this.db('oidc_store')
      .where({ model: this.model, [column]: value })
      .first('payload', 'expires_at', 'consumed_at');
    if (!row) return undefined;
    if (row.expires_at !== null && Number(row.expires_at) < this.now()) return undefined;
    const payload = JSON.parse(row.payload) as Payload;
    return row.consumed_at === null ? payload : { ...payload, consumed: Number(row.consumed_at) };
  }
}

/** Clients are registered by admins in our own table; the provider only ever reads them. */
class ClientAdapter {
  readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }
  find(id: string) {
    return findClientMetadata(this.db, id);
  }
  async upsert(): Promise<void> {
    throw new Error('clients are managed with hk-idp clients, not through the provider');
  }
  async destroy(): Promise<void> {}
  async consume(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
}

/** Deletes expired rows; runs periodically in every instance (the delete is idempotent). */
export async function purgeExpired(db: Db, now: number): Promise<number> {
  return db('oidc_store').where('expires_at', '<', now).delete();
}

/** Ends every session and revokes every grant and token of one account. */
export async function endEverythingOf(db: Db, accountId: string): Promise<number> {
  return db('oidc_store').where({ account_id: accountId }).delete();
}
