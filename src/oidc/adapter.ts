// oidc-provider storage adapter on knex. Every model shares one table; the indexed columns serve the
// look-ups the provider makes (uid, user code, grant) and ours (the sessions and grants of one account).
// An opaque token's id IS the token, so only a SHA-256 of every id is stored, and a token's own copy of
// its id (`jti` in the payload) is left out and put back on read: a copy of the database holds no
// usable token. (A session's payload keeps its id, which the provider needs when it finds a session
// by uid; the session cookie is signed with COOKIE_KEYS, which are not in the database.)
import { errors, Provider } from 'oidc-provider';
import type { Db } from '../storage/db.ts';
import { digestOf } from '../security/digest.ts';
import type { OidcStoreRow } from '../storage/tables.ts';
import { changeRows, firstRow, type Binding, type Row } from '../storage/direct.ts';
import { findClientMetadata } from '../clients/clients.ts';
import { parseSession, queueLogouts, type EndReason } from './backchannel-queue.ts';
import { ACCOUNT_COLUMNS, type AccountColumns } from '../accounts/accounts.ts';
import { dropRequestRows, endRequest, holdIssued, holdIssuedRow, inRequest, keepForRequest, keptForRequest, writeHeld } from './request-rows.ts';

type Payload = Record<string, unknown> & {
  jti?: string;
  kind?: string;
  session?: { accountId?: string };
  grantId?: string;
  uid?: string;
  userCode?: string;
  accountId?: string;
  consumed?: unknown;
  sessionUid?: string;
};

// Rows outlive their expiry by the provider's clock tolerance, as its own memory adapter does.
const GRACE_MS = 15_000;

// The hot statements as fixed SQL (the same on SQLite and PostgreSQL), run past knex's query builder
// and runner (src/storage/direct.ts): every token use runs several.
// One statement writes one row or several (the tokens a request issued, below): its SQL per row count.
const UPSERT_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, null, ?, ?)';
const upserts: string[] = [];
const upsertOf = (rows: number) =>
  (upserts[rows] ??= `insert into oidc_store (model, id, payload, grant_id, uid, user_code, account_id, expires_at, consumed_at, grant_key, session_uid)
  values ${Array(rows).fill(UPSERT_ROW).join(', ')}
  on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
    user_code = excluded.user_code, account_id = excluded.account_id, expires_at = excluded.expires_at, consumed_at = null,
    grant_key = excluded.grant_key, session_uid = excluded.session_uid`);
const FIND_BY = {
  id: 'select payload, expires_at, consumed_at from oidc_store where model = ? and id = ? limit 1',
  uid: 'select payload, expires_at, consumed_at from oidc_store where model = ? and uid = ? limit 1',
  user_code: 'select payload, expires_at, consumed_at from oidc_store where model = ? and user_code = ? limit 1',
};
const CONSUME = 'update oidc_store set consumed_at = ? where model = ? and id = ? and consumed_at is null';
const GRANT_OF = 'select grant_id from oidc_store where model = ? and id = ? limit 1';
const DESTROY = 'delete from oidc_store where model = ? and id = ?';
export const REVOKE_BY_GRANT = 'delete from oidc_store where model = ? and grant_key = ?';
type StoredRow = Pick<OidcStoreRow, 'payload' | 'expires_at' | 'consumed_at'>;

// Every use of a token reads its grant, its session (a token bound to one) and its account right
// after the token: one statement reads all four, by primary keys and the session uid index, and the
// three others are kept for the rest of the request (request-rows.ts). A row written before
// migrations/015 has no grant_key or session_uid: its grant and session are then read one by one.
const WITH_CONTEXT = new Set(['AccessToken', 'RefreshToken', 'AuthorizationCode']);
// The models of the rows kept along (the account is not the adapter's to write): a write of one drops them.
const KEPT_MODELS = new Set(['Grant', 'Session']);
// The account's columns keep their names, so the row is itself the account's row (no copy).
export const TOKEN_WITH_CONTEXT = `select t.payload as t_payload, t.expires_at as t_expires_at, t.consumed_at as t_consumed_at,
  t.grant_id as t_grant_id, t.session_uid as t_session_uid,
  g.payload as g_payload, g.expires_at as g_expires_at, g.consumed_at as g_consumed_at,
  s.payload as s_payload, s.expires_at as s_expires_at, s.consumed_at as s_consumed_at,
  ${ACCOUNT_COLUMNS.map((column) => `a.${column}`).join(', ')}
  from oidc_store t
  left join oidc_store g on g.model = 'Grant' and g.id = t.grant_key
  left join oidc_store s on s.model = 'Session' and s.uid = t.session_uid
  left join accounts a on a.id = t.account_id
  where t.model = ? and t.id = ?`;
type Prefixed<Row, P extends string> = { [K in keyof Row & string as `${P}${K}`]: Row[K] | null };
type Nullable<Row> = { [K in keyof Row]: Row[K] | null };
type TokenWithContextRow = Prefixed<StoredRow & Pick<OidcStoreRow, 'grant_id' | 'session_uid'>, 't_'> &
  Prefixed<StoredRow, 'g_'> &
  Prefixed<StoredRow, 's_'> &
  Nullable<AccountColumns>;

// The tokens an app endpoint issues (a code exchange or a refresh: an access token and a refresh token)
// are written together, in one statement, when its answer is ready (`appRequest`): one commit (on
// PostgreSQL one round trip and one WAL flush) instead of one each. The answer goes out only after
// they are written. Every other statement of the adapter first writes what its request holds, or
// waits for that write if another statement started it (`read`, `change`), so the writes keep their order.
const ISSUED_TOGETHER = new Set(['AccessToken', 'RefreshToken']);

/**
 * Writes the tokens held for `request` (the current one by default) in one statement; answers the
 * request's write of them (this one, or one an earlier statement started). Nothing to wait for when it never held any.
 */
function writeIssued(db: Db, request?: object): Promise<unknown> | undefined {
  return writeHeld(request, (rows) => changeRows(db, upsertOf(rows.length), rows.flat() as Binding[]));
}

/** The adapter's reads and writes: after what the request holds. */
async function read<T extends Row>(db: Db, sql: string, bindings: readonly Binding[]): Promise<T | undefined> {
  const held = writeIssued(db);
  if (held) await held;
  return firstRow<T>(db, sql, bindings);
}
async function change(db: Db, sql: string, bindings: readonly Binding[]): Promise<number> {
  const held = writeIssued(db);
  if (held) await held;
  return changeRows(db, sql, bindings);
}

/**
 * Runs a request of an app endpoint (`next`). One that issues tokens (the token endpoint) holds them
 * and writes them together before its answer goes out; if they cannot be written, the answer is a
 * server_error and carries no token, and none of them is stored. When the request is done nothing
 * of the store stays on it: V8 may keep a finished request's context a while (README, "A finished
 * request's objects let go of").
 */
export async function appRequest(db: Db, ctx: KoaResponse, next: () => Promise<unknown>, log: (message: string, error: unknown) => void, issuesTokens: boolean): Promise<void> {
  if (issuesTokens) holdIssued(ctx);
  try {
    await next();
    try {
      await writeIssued(db, ctx);
    } catch (error) {
      log('issued tokens could not be written', error);
      ctx.status = 500;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { error: 'server_error', error_description: 'oops! something went wrong' };
    }
  } finally {
    endRequest(ctx);
  }
}
type KoaResponse = { status: number; body: unknown; set(field: string, value: string): void };

const keptContext = () => keptForRequest<TokenWithContextRow>();

/** The account of a token, when its look-up in this request brought it along (the provider's findAccount reads it). */
export function keptAccount(id: string): AccountColumns | undefined {
  const row = keptContext();
  return row && row.id === id ? (row as AccountColumns) : undefined;
}

/** The joined row's part with this prefix, when the join found that row. */
function part(row: TokenWithContextRow, prefix: 't_' | 'g_' | 's_'): StoredRow | undefined {
  const payload = row[`${prefix}payload`];
  return payload === null ? undefined : { payload, expires_at: row[`${prefix}expires_at`], consumed_at: row[`${prefix}consumed_at`] };
}

export function createAdapterFactory(db: Db, now: () => number = Date.now) {
  return (model: string) => (model === 'Client' ? new ClientAdapter(db, now) : new KnexAdapter(db, model, now));
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

  private get keepsJti(): boolean {
    return this.model === 'Session';
  }

  async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
    const { jti, ...rest } = payload;
    const stored = this.keepsJti || jti !== id ? payload : rest;
    const key = digestOf(id);
    const bindings = [
      this.model,
      key,
      JSON.stringify(stored),
      payload.grantId ?? null,
      payload.uid ?? null,
      payload.userCode ?? null,
      // An interaction belongs to the account of the session it was started in.
      payload.accountId ?? payload.session?.accountId ?? null,
      expiresIn ? this.now() + expiresIn * 1000 + GRACE_MS : null,
      payload.grantId ? digestOf(payload.grantId) : null,
      payload.sessionUid ?? null,
    ];
    if (ISSUED_TOGETHER.has(this.model) && holdIssuedRow(`${this.model} ${key}`, bindings)) return;
    if (KEPT_MODELS.has(this.model)) dropRequestRows();
    await change(this.db, upsertOf(1), bindings);
  }

  async find(id: string): Promise<Payload | undefined> {
    if (typeof id !== 'string') return undefined;
    const payload = WITH_CONTEXT.has(this.model) && inRequest() ? await this.findWithContext(digestOf(id)) : await this.findBy('id', id);
    // (The payload was just parsed from the row: this request's own object, so set in place.)
    if (payload && !this.keepsJti && payload.jti === undefined && payload.kind !== undefined) payload.jti = id;
    return payload;
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    return this.findBy('uid', uid);
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    return this.findBy('user_code', userCode);
  }

  /**
   * Marks a code or rotated refresh token used, once. The library checks `consumed` on its read, but
   * parallel requests all read it unset; so the conditional UPDATE is the claim and its row count
   * says whether this request won. The loser gets what a sequential reuse gets (the library's
   * `consumeGrantSource` / refresh token grant): the whole grant revoked and invalid_grant.
   */
  async consume(id: string): Promise<void> {
    // (Marking the code or token used changes none of the rows kept with it: they stay.)
    const key = digestOf(id);
    const won = await change(this.db, CONSUME, [this.now(), this.model, key]);
    if (won === 1) return;
    const row = await read<{ grant_id: string | null }>(this.db, GRANT_OF, [this.model, key]);
    if (row?.grant_id) await revokeGrant(this.db, row.grant_id);
    throw new errors.InvalidGrant(`${this.model === 'RefreshToken' ? 'refresh token' : 'authorization code'} already used`);
  }

  async destroy(id: string): Promise<void> {
    if (KEPT_MODELS.has(this.model)) dropRequestRows();
    await change(this.db, DESTROY, [this.model, digestOf(id)]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    dropRequestRows();
    await change(this.db, REVOKE_BY_GRANT, [this.model, digestOf(grantId)]);
  }

  private async findWithContext(key: string): Promise<Payload | undefined> {
    const row = await read<TokenWithContextRow>(this.db, TOKEN_WITH_CONTEXT, [this.model, key]);
    if (row) keepForRequest(row);
    return asPayload(row && part(row, 't_'), this.now());
  }

  /** By id (as the provider knows it: hashed here) or by uid or user code. */
  private async findBy(column: 'id' | 'uid' | 'user_code', value: string): Promise<Payload | undefined> {
    if (typeof value !== 'string') return undefined;
    return asPayload(this.kept(column, value) ?? (await read<StoredRow>(this.db, FIND_BY[column], [this.model, column === 'id' ? digestOf(value) : value])), this.now());
  }

  /** The Grant or Session this request's token look-up brought along, if it is the one asked for. */
  private kept(column: 'id' | 'uid' | 'user_code', value: string): StoredRow | undefined {
    if (!KEPT_MODELS.has(this.model)) return undefined;
    const row = keptContext();
    if (!row) return undefined;
    if (this.model === 'Grant' && column === 'id' && row.t_grant_id === value) return part(row, 'g_');
    if (this.model === 'Session' && column === 'uid' && row.t_session_uid === value) return part(row, 's_');
    return undefined;
  }
}

/** A stored row as the provider's payload: none once expired; `consumed` from its column. */
function asPayload(row: StoredRow | undefined, now: number): Payload | undefined {
  if (!row) return undefined;
  if (row.expires_at !== null && Number(row.expires_at) < now) return undefined;
  const payload = JSON.parse(row.payload) as Payload;
  if (row.consumed_at !== null) payload.consumed = Number(row.consumed_at);
  return payload;
}

/**
 * Revokes a grant as the library's own revoke does after a reuse (`deleteGrants`), then emits the
 * `grant.revoked` event for whoever listens. Tokens the race's winner saves after this are useless: the grant they need is gone.
 */
async function revokeGrant(db: Db, grantId: string): Promise<void> {
  await deleteGrants(db, [grantId]);
  const ctx = Provider.ctx;
  ctx?.oidc?.provider.emit('grant.revoked', ctx, grantId);
}

/** Deletes grants with every token and code of theirs (one table, so one DELETE finds them all); sessions and sign-ins in progress stay. */
export async function deleteGrants(db: Db, grantIds: string[]): Promise<number> {
  return deleteGrantRows(db, grantIds.map(digestOf));
}

// A statement binds each key twice, and both databases bound the values of one statement (SQLite 32,766, PostgreSQL 65,535).
const GRANTS_PER_DELETE = 1_000;

/** deleteGrants by the grants' stored ids (the Grant rows' keys, the tokens' `grant_key`). */
async function deleteGrantRows(db: Db, keys: string[]): Promise<number> {
  if (!keys.length) return 0;
  // (Through knex's builder, not `change`: what the request holds goes first all the same.)
  await writeIssued(db);
  dropRequestRows();
  let deleted = 0;
  for (let from = 0; from < keys.length; from += GRANTS_PER_DELETE) deleted += await rowsOfGrants(db, keys.slice(from, from + GRANTS_PER_DELETE)).delete();
  return deleted;
}

/** The Grant rows of these stored ids and every token and code of theirs. */
export function rowsOfGrants(db: Db, keys: string[]) {
  return db('oidc_store')
    .where((q) => q.whereIn('grant_key', keys).whereNotIn('model', ['Session', 'Interaction']))
    .orWhere((q) => q.where({ model: 'Grant' }).whereIn('id', keys));
}

/**
 * How long one instance reuses a client's metadata. The provider reads the client on every request
 * (userinfo, token, authorize); clients change by admin command a few times a year. So a removed client,
 * a new redirect URI or a rotated secret takes effect on every instance within this time.
 */
export const CLIENT_CACHE_MS = 5_000;

/** Clients are registered by admins in our own table; the provider only ever reads them. */
export class ClientAdapter {
  readonly db: Db;
  readonly now: () => number;
  private readonly cache = new Map<string, { at: number; metadata: Promise<Awaited<ReturnType<typeof findClientMetadata>>> }>();
  constructor(db: Db, now: () => number = Date.now) {
    this.db = db;
    this.now = now;
  }
  find(id: string) {
    if (typeof id !== 'string') return undefined;
    const now = this.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < CLIENT_CACHE_MS) return hit.metadata;
    const metadata = findClientMetadata(this.db, id);
    // Known clients only (an unknown id is not kept: the map cannot be grown by guessing), failures never.
    this.cache.set(id, { at: now, metadata });
    metadata.then((found) => (found ? undefined : this.cache.delete(id)), () => this.cache.delete(id));
    return metadata;
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

// Only sessions, grants and sign-ins in progress are indexed by account (migrations/016): a token is
// reached through its grant. A query must carry this condition word for word for SQLite to use that
// partial index (it does not derive it from `model = ?`).
export const OWNED_BY_ACCOUNT = "model in ('Session', 'Grant', 'Interaction')";

/** The sessions, grants or sign-ins in progress of one account. */
export function rowsOfAccount(db: Db, model: 'Session' | 'Grant' | 'Interaction', accountId: string) {
  return db('oidc_store').whereRaw(OWNED_BY_ACCOUNT).where({ model, account_id: accountId });
}

/**
 * Ends every session and revokes every grant and token of one account. A sign-in in progress that was
 * started in one of those sessions is detached from it (as the provider itself does when a session
 * is replaced), so it can still finish — with a new session. Every app of those sessions that listens
 * gets a back-channel logout notification, queued with `db` (the caller's transaction, if any).
 */
export async function endEverythingOf(db: Db, accountId: string, now: number, reason: EndReason = 'account'): Promise<number> {
  dropRequestRows();
  // The session end and its notifications commit together.
  if (!db.isTransaction) return db.transaction((trx) => endEverythingOf(trx, accountId, now, reason));
  // Each session's delete is the claim: one that expiry (or anything else) ended meanwhile is not reported twice.
  const sessions = await rowsOfAccount(db, 'Session', accountId).select('id', 'payload');
  const ended = [];
  for (const session of sessions) {
    if (await db('oidc_store').where({ model: 'Session', id: session.id }).delete()) ended.push(parseSession(session.payload));
  }
  await queueLogouts(db, ended, reason, now);
  const interactions = await rowsOfAccount(db, 'Interaction', accountId).select('id', 'payload');
  for (const row of interactions) {
    const { session: _ended, ...payload } = JSON.parse(row.payload) as Payload;
    await db('oidc_store').where({ model: 'Interaction', id: row.id }).update({ payload: JSON.stringify(payload), account_id: null });
  }
  // Every token of the account is of one of its grants (the library refuses a token whose grant is gone).
  return ended.length + (await deleteGrantRows(db, await rowsOfAccount(db, 'Grant', accountId).pluck('id')));
}
