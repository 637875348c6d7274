// Signing keys live in the database so every instance signs with the same keys. They are made at
// the first start: one RSA key (RS256, the OIDC default) and one P-256 key (ES256).
import { generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto';
import type { Db } from '../storage/db.ts';

export type SigningKey = JsonWebKey & { kid: string; alg: string; use: 'sig' };

function generate(alg: 'RS256' | 'ES256'): SigningKey {
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg, use: 'sig' };
}

/**
 * The keys to give the provider, oldest first within each algorithm so that every instance picks the
 * same signing key (the provider signs with the first key of an algorithm; the rest stay published).
 */
export async function loadSigningKeys(db: Db, now: number = Date.now()): Promise<SigningKey[]> {
  for (const alg of ['RS256', 'ES256'] as const) {
    const existing = await db('signing_keys').where({ alg }).whereNull('retired_at').first('kid');
    if (!existing) {
      const key = generate(alg);
      await db('signing_keys').insert({ kid: key.kid, alg, private_jwk: JSON.stringify(key), created_at: now });
    }
  }
  const rows = await db('signing_keys').whereNull('retired_at').orderBy([{ column: 'created_at' }, { column: 'kid' }]);
  return rows.map((row: { private_jwk: string }) => JSON.parse(row.private_jwk) as SigningKey);
}
