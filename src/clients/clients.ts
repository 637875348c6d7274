// Client apps registered by admins: validation, storage with hashed secrets, and the metadata the
// provider reads for each request.
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { LoginKind } from '../../config/vocabulary.ts';
import { audit, type AuditContext } from '../audit/audit.ts';
import type { Db } from '../storage/db.ts';
import { digestOf } from '../security/digest.ts';
import type { ClientRow } from '../storage/tables.ts';
import { InputError } from '../errors.ts';

/** RS256 is the OIDC default; ES256 for apps that ask for it. */
export type IdTokenAlg = 'RS256' | 'ES256';

export type ClientRecord = {
  clientId: string;
  name: string;
  login: LoginKind;
  firstParty: boolean;
  public: boolean;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  logoUri: string | null;
  idTokenAlg: IdTokenAlg;
  /** Where hk-idp POSTs a logout token when a session with this app ends (OIDC Back-Channel Logout). */
  backchannelLogoutUri: string | null;
  /** The logout token then carries the session's `sid`, and only that session is to end at the app. */
  backchannelLogoutSessionRequired: boolean;
  createdAt: number;
  updatedAt: number;
};

export type ClientInput = {
  name: string;
  login: LoginKind;
  firstParty?: boolean;
  public?: boolean;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  logoUri?: string | null;
  idTokenAlg?: IdTokenAlg;
  backchannelLogoutUri?: string | null;
  backchannelLogoutSessionRequired?: boolean;
};

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;
export const isLoopbackHost = (hostname: string) => LOOPBACK.test(hostname);

/** Redirect URIs must be absolute, fragment-free, https in production (loopback excepted). */
export function validateUri(raw: string, what: string, production: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(`${what} must be an absolute URL: ${raw}`);
  }
  if (raw.includes('#')) throw new InputError(`${what} must not contain a fragment: ${raw}`);
  if (raw.includes('*')) throw new InputError(`${what} must not contain wildcards: ${raw}`);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(`${what} must use https: ${raw}`);
  }
  if (url.username || url.password) throw new InputError(`${what} must not contain credentials: ${raw}`);
  if (production && url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    throw new InputError(`${what} must use https in production (loopback excepted): ${raw}`);
  }
  return raw;
}

function validate(input: ClientInput, production: boolean, staffConsole = false): ClientInput {
  const name = input.name?.trim();
  if (!name || name.length > 200) throw new InputError('name is required (at most 200 characters)');
  if (input.login !== 'member' && input.login !== 'business' && !(staffConsole && input.login === 'staff')) throw new InputError('login must be member or business');
  if (input.idTokenAlg !== undefined && input.idTokenAlg !== 'RS256' && input.idTokenAlg !== 'ES256') {
    throw new InputError('the ID token algorithm must be RS256 or ES256');
  }
  if (!input.redirectUris?.length) throw new InputError('at least one redirect URI is required');
  const redirectUris = input.redirectUris.map((uri) => validateUri(uri, 'redirect URI', production));
  const postLogoutRedirectUris = (input.postLogoutRedirectUris ?? []).map((uri) =>
    validateUri(uri, 'post-logout redirect URI', production),
  );
  const logoUri = input.logoUri ? validateUri(input.logoUri, 'logo URI', production) : null;
  const backchannelLogoutUri = input.backchannelLogoutUri ? validateUri(input.backchannelLogoutUri, 'back-channel logout URI', production) : null;
  if (input.backchannelLogoutSessionRequired && !backchannelLogoutUri) {
    throw new InputError('backchannel logout session required needs a back-channel logout URI');
  }
  return { ...input, name, redirectUris, postLogoutRedirectUris, logoUri, backchannelLogoutUri };
}

const newSecret = () => randomBytes(32).toString('base64url');

function fromRow(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    name: row.name,
    login: row.login,
    firstParty: Boolean(row.first_party),
    public: Boolean(row.public),
    redirectUris: JSON.parse(row.redirect_uris),
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris),
    logoUri: row.logo_uri,
    idTokenAlg: row.id_token_alg === 'ES256' ? 'ES256' : 'RS256',
    backchannelLogoutUri: row.backchannel_logout_uri ?? null,
    backchannelLogoutSessionRequired: Boolean(row.backchannel_logout_session_required),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** The columns of a validated client that an update may change (all but its id, kind, secret and times). */
function changeableColumns(valid: ClientInput) {
  return {
    name: valid.name,
    login: valid.login,
    first_party: Boolean(valid.firstParty),
    redirect_uris: JSON.stringify(valid.redirectUris),
    post_logout_redirect_uris: JSON.stringify(valid.postLogoutRedirectUris),
    logo_uri: valid.logoUri,
    id_token_alg: valid.idTokenAlg ?? 'RS256',
    backchannel_logout_uri: valid.backchannelLogoutUri,
    backchannel_logout_session_required: Boolean(valid.backchannelLogoutSessionRequired),
  };
}

// `by` in the functions below: who asked (an admin in the console, an operator at the CLI), for the
// audit log. Seeds (the demo, the console's own registration) and tests leave it out and are not audited.

/** Registers a client. The secret (confidential clients) is returned here once and stored only hashed. */
export async function addClient(
  db: Db,
  input: ClientInput,
  options: { production: boolean; clientId?: string; now?: number; staffConsole?: boolean; by?: AuditContext },
): Promise<{ client: ClientRecord; secret: string | null }> {
  const valid = validate(input, options.production, options.staffConsole);
  const clientId = options.clientId ?? randomUUID();
  const secret = valid.public ? null : newSecret();
  const now = options.now ?? Date.now();
  await db('clients').insert({
    client_id: clientId,
    ...changeableColumns(valid),
    public: Boolean(valid.public),
    secret_hash: secret ? digestOf(secret) : null,
    created_at: now,
    updated_at: now,
  });
  if (options.by) await audit(db, { event: 'client.added', clientId, ...options.by }, now);
  return { client: (await getClient(db, clientId))!, secret };
}

export async function getClient(db: Db, clientId: string): Promise<ClientRecord | undefined> {
  const row = await db('clients').where({ client_id: clientId }).first();
  return row ? fromRow(row) : undefined;
}

export async function listClients(db: Db): Promise<ClientRecord[]> {
  return (await db('clients').orderBy('name')).map(fromRow);
}

export async function updateClient(
  db: Db,
  clientId: string,
  changes: Partial<ClientInput>,
  options: { production: boolean; staffConsole?: boolean; by?: AuditContext; now?: number },
): Promise<ClientRecord> {
  const now = options.now ?? Date.now();
  const current = await getClient(db, clientId);
  if (!current) throw new InputError(`no client ${clientId}`);
  if (changes.public !== undefined && changes.public !== current.public) {
    throw new InputError('a client cannot switch between public and confidential; register a new one');
  }
  const valid = validate({ ...current, ...changes }, options.production, options.staffConsole);
  await db('clients')
    .where({ client_id: clientId })
    .update({ ...changeableColumns(valid), updated_at: now });
  if (options.by) await audit(db, { event: 'client.updated', clientId, ...options.by, detail: { fields: Object.keys(changes) } }, now);
  return (await getClient(db, clientId))!;
}

/** Removes a client. Its tokens die with it within seconds: the provider loads the client (CLIENT_CACHE_MS) on every token use. */
export async function removeClient(db: Db, clientId: string, by?: AuditContext, now: number = Date.now()): Promise<void> {
  const removed = await db('clients').where({ client_id: clientId }).delete();
  if (!removed) throw new InputError(`no client ${clientId}`);
  if (by) await audit(db, { event: 'client.removed', clientId, ...by }, now);
}

/** Replaces the secret; the old one stops working within seconds (CLIENT_CACHE_MS). Returns the new secret, shown once. */
export async function rotateSecret(db: Db, clientId: string, by?: AuditContext, now: number = Date.now()): Promise<string> {
  const client = await getClient(db, clientId);
  if (!client) throw new InputError(`no client ${clientId}`);
  if (client.public) throw new InputError('a public client has no secret');
  const secret = newSecret();
  await db('clients').where({ client_id: clientId }).update({ secret_hash: digestOf(secret), updated_at: now });
  if (by) await audit(db, { event: 'client.secret_rotated', clientId, ...by }, now);
  return secret;
}

/**
 * The client as oidc-provider metadata. The provider never sees the secret: `client_secret` carries
 * the hash, and `compareClientSecret` (see provider.ts) hashes what the client presents.
 */
export async function findClientMetadata(db: Db, clientId: string) {
  if (typeof clientId !== 'string' || clientId.length > 64) return undefined;
  const row = await db('clients').where({ client_id: clientId }).first();
  if (!row) return undefined;
  const client = fromRow(row);
  return {
    client_id: client.clientId,
    client_name: client.name,
    ...(client.public
      ? { token_endpoint_auth_method: 'none' }
      : { client_secret: row.secret_hash, token_endpoint_auth_method: 'client_secret_basic' }),
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: client.idTokenAlg,
    ...(client.logoUri ? { logo_uri: client.logoUri } : {}),
    ...(client.backchannelLogoutUri
      ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: client.backchannelLogoutSessionRequired }
      : {}),
    // Every ID token says when the person last typed a password, so an app can demand a fresh one.
    require_auth_time: true,
    login: client.login,
    first_party: client.firstParty,
  };
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function secretMatches(storedHash: string, presented: string): boolean {
  const a = Buffer.from(storedHash);
  const b = Buffer.from(digestOf(presented));
  return a.length === b.length && timingSafeEqual(a, b);
}
