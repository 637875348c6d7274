// Signing keys live in the database so every instance signs with the same keys, encrypted at rest
// with KEY_ENCRYPTION_KEY (AES-256-GCM, the key id as associated data). They are made at the first
// start: one RSA key (RS256, the OIDC default) and one P-256 key (ES256).
//
// Rotation (`hk-idp keys rotate`): new keys are added and sign from each instance's next start; the
// old ones are marked retired but stay published until every token they signed has expired, then
// they are deleted.
import { createCipheriv, createDecipheriv, createHash, generateKeyPairSync, randomBytes, randomUUID, type JsonWebKey } from 'node:crypto';
import type { Db } from '../storage/db.ts';

export type SigningKey = JsonWebKey & { kid: string; alg: string; use: 'sig' };
export type KeyInfo = { kid: string; alg: string; createdAt: number; retiredAt: number | null };

const ALGS = ['RS256', 'ES256'] as const;

function generate(alg: (typeof ALGS)[number]): SigningKey {
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg, use: 'sig' };
}

const aesKey = (secret: string) => createHash('sha256').update(secret).digest();

export function encryptKey(key: SigningKey, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey(secret), iv).setAAD(Buffer.from(key.kid));
  const body = Buffer.concat([cipher.update(JSON.stringify(key), 'utf8'), cipher.final()]);
  return ['enc1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function decryptKey(stored: string, kid: string, secret: string): SigningKey {
  if (!stored.startsWith('enc1.')) return JSON.parse(stored); // written before encryption was configured
  const [, iv, tag, body] = stored.split('.');
  const decipher = createDecipheriv('aes-256-gcm', aesKey(secret), Buffer.from(iv!, 'base64url')).setAAD(Buffer.from(kid));
  decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
  return JSON.parse(Buffer.concat([decipher.update(Buffer.from(body!, 'base64url')), decipher.final()]).toString('utf8'));
}

async function insertNewKeys(db: Db, secret: string, now: number): Promise<void> {
  for (const alg of ALGS) {
    const key = generate(alg);
    await db('signing_keys').insert({ kid: key.kid, alg, private_jwk: encryptKey(key, secret), created_at: now });
  }
}

/**
 * The keys to give the provider: per algorithm the newest active key first (it signs), then older
 * ones and retired ones still inside `retentionSeconds` (published, so tokens they signed verify).
 */
export async function loadSigningKeys(db: Db, options: { secret: string; now: number; retentionSeconds: number }): Promise<SigningKey[]> {
  const { secret, now } = options;
  const active = await db('signing_keys').whereNull('retired_at').pluck('alg');
  if (ALGS.some((alg) => !active.includes(alg))) await insertNewKeys(db, secret, now);
  await db('signing_keys').where('retired_at', '<', now - options.retentionSeconds * 1000).delete();
  const rows = await db('signing_keys').orderBy([
    { column: 'created_at', order: 'desc' },
    { column: 'kid', order: 'asc' },
  ]);
  // Active keys before retired ones; within each, newest first: every instance makes the same choice.
  rows.sort((a: { retired_at: unknown }, b: { retired_at: unknown }) => Number(a.retired_at !== null) - Number(b.retired_at !== null));
  return rows.map((row: { private_jwk: string; kid: string }) => decryptKey(row.private_jwk, row.kid, secret));
}

/** Adds new signing keys and retires the current ones (still published until their tokens expire). */
export async function rotateSigningKeys(db: Db, secret: string, now: number): Promise<KeyInfo[]> {
  await db.transaction(async (trx) => {
    await trx('signing_keys').whereNull('retired_at').update({ retired_at: now });
    await insertNewKeys(trx, secret, now);
  });
  return listSigningKeys(db);
}

export async function listSigningKeys(db: Db): Promise<KeyInfo[]> {
  const rows = await db('signing_keys').orderBy('created_at', 'desc').select('kid', 'alg', 'created_at', 'retired_at');
  return rows.map((row: Record<string, any>) => ({
    kid: row.kid,
    alg: row.alg,
    createdAt: Number(row.created_at),
    retiredAt: row.retired_at === null ? null : Number(row.retired_at),
  }));
}
