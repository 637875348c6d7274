// The stored form of a random secret (an opaque token, a client secret, a session or enrolment id):
// its SHA-256, base64url. Enough for values with this much entropy (a password gets bcrypt, a short
// code an HMAC); a copy of the database then holds no usable secret. Node's one-shot hash: several
// run on every token request, and a Hash object per value cost about three times as much.
import { hash } from 'node:crypto';

export const digestOf = (secret: string): string => hash('sha256', secret, 'base64url');
