// Signing keys live in the database so every instance signs with the same keys, encrypted at rest
// with KEY_ENCRYPTION_KEY (AES-256-GCM, the key id as associated data). They are made at the first
// start: one RSA key (RS256, the OIDC default) and one P-256 key (ES256).
//
// Rotation is the two steps oidc-provider's docs prescribe, because instances load the keys at start:
// `hk-idp keys rotate` adds the next keys (published, not signing); after every instance has restarted
// and publishes them, `hk-idp keys rotate` again promotes them to sign and retires the old ones, which
// stay published until every token they signed has expired. A relying app thus always finds the key
// of any token in the JWKS of any instance.
import { generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto';
import { audit, type AuditContext } from '../audit/audit.ts';
import { isSealed, open, seal } from '../security/sealed.ts';
import type { Db } from '../storage/db.ts';
import { isUniqueViolation } from '../storage/unique-violation.ts';

export type SigningKey = JsonWebKey & { kid: string; alg: string; use: 'sig' };
export type KeyInfo = { kid: string; alg: string; state: string; createdAt: number; retiredAt: number | null };

const ALGS = ['RS256', 'ES256'] as const;

function generate(alg: (typeof ALGS)[number]): SigningKey {
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg, use: 'sig' };
}

export const encryptKey = (key: SigningKey, secret: string): string => seal(JSON.stringify(key), key.kid, secret);

export function decryptKey(stored: string, kid: string, secret: string): SigningKey {
  if (!isSealed(stored)) return JSON.parse(stored); // written before encryption was configured
  return JSON.parse(open(stored, kid, secret));
}

type KeyState = 'next' | 'active' | 'retired';

/** Adds a key per algorithm in `state`; where another instance was quicker, its key stands. */
async function insertKeys(db: Db, secret: string, state: KeyState, now: number): Promise<void> {
  for (const alg of ALGS) {
    const key = generate(alg);
    try {
      await db('signing_keys').insert({ kid: key.kid, alg, state, private_jwk: encryptKey(key, secret), created_at: now });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }
}

const ORDER: Record<KeyState, number> = { active: 0, next: 1, retired: 2 };

/**
 * The keys to give the provider: the active keys first (the provider signs with the first key of an
 * algorithm), then the next ones and the retired ones still inside `retentionSeconds` (published only).
 */
export async function loadSigningKeys(db: Db, options: { secret: string; now: number; retentionSeconds: number }): Promise<SigningKey[]> {
  const { secret, now } = options;
  const active = await db('signing_keys').where({ state: 'active' }).pluck('alg');
  if (ALGS.some((alg) => !active.includes(alg))) await insertKeys(db, secret, 'active', now);
  await db('signing_keys').where({ state: 'retired' }).andWhere('retired_at', '<', now - options.retentionSeconds * 1000).delete();
  const rows = await db('signing_keys');
  rows.sort((a, b) => ORDER[a.state] - ORDER[b.state] || Number(b.created_at) - Number(a.created_at) || a.kid.localeCompare(b.kid));
  return rows.map((row) => {
    try {
      return decryptKey(row.private_jwk, row.kid, secret);
    } catch {
      // (Without the cipher's own words, "unable to authenticate data", which point nowhere.)
      throw new Error(`signing key ${row.kid} cannot be decrypted with KEY_ENCRYPTION_KEY: it was encrypted under another key (was KEY_ENCRYPTION_KEY changed?) or the stored key was altered`);
    }
  });
}

/**
 * One step of a rotation: with no next keys, adds them (published after the next restart, not yet
 * signing); with next keys, promotes them to sign (after the next restart) and retires the active ones.
 * `by` (who ran it: the CLI) puts the step on the audit log; tests leave it out.
 */
export async function rotateSigningKeys(db: Db, secret: string, now: number, by?: AuditContext): Promise<'added' | 'promoted'> {
  const next = await db('signing_keys').where({ state: 'next' }).first('kid');
  if (!next) {
    await insertKeys(db, secret, 'next', now);
    if (by) await audit(db, { event: 'keys.added', ...by }, now);
    return 'added';
  }
  await db.transaction(async (trx) => {
    await trx('signing_keys').where({ state: 'active' }).update({ state: 'retired', retired_at: now });
    await trx('signing_keys').where({ state: 'next' }).update({ state: 'active' });
  });
  if (by) await audit(db, { event: 'keys.promoted', ...by }, now);
  return 'promoted';
}

export async function listSigningKeys(db: Db): Promise<KeyInfo[]> {
  const rows = await db('signing_keys').orderBy('created_at', 'desc').select('kid', 'alg', 'state', 'created_at', 'retired_at');
  return rows.map((row) => ({
    kid: row.kid,
    alg: row.alg,
    state: row.state,
    createdAt: Number(row.created_at),
    retiredAt: row.retired_at === null ? null : Number(row.retired_at),
  }));
}
