// Secrets kept at rest under KEY_ENCRYPTION_KEY (a signing key's private half, a staff member's TOTP
// secret): AES-256-GCM with a fresh 96-bit IV, and associated data naming what the value belongs to,
// so a sealed value copied onto another row does not open there. Stored as
// `enc1.<iv>.<tag>.<ciphertext>` (base64url); the AES key is the SHA-256 of the configured secret.
// Both the format and the derivation are fixed: rows written by any earlier version must still open.
import { createCipheriv, createDecipheriv, hash, randomBytes } from 'node:crypto';

const PREFIX = 'enc1';

const aesKey = (secret: string) => hash('sha256', secret, 'buffer');

export const isSealed = (stored: string) => stored.startsWith(`${PREFIX}.`);

export function seal(plaintext: string, boundTo: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey(secret), iv).setAAD(Buffer.from(boundTo));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [PREFIX, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

/** The plaintext; throws when the value was sealed under another secret, for another owner, or altered. */
export function open(stored: string, boundTo: string, secret: string): string {
  const [prefix, iv, tag, body, ...rest] = stored.split('.');
  if (prefix !== PREFIX || iv === undefined || tag === undefined || body === undefined || rest.length > 0) {
    throw new Error('not a sealed value');
  }
  // The tag's length stated: without it GCM would accept a tag cut short, far easier to forge.
  const decipher = createDecipheriv('aes-256-gcm', aesKey(secret), Buffer.from(iv, 'base64url'), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(boundTo));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
