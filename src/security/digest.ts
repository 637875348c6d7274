// SHA-256, base64url: the stored form of a random secret (an opaque token, a client secret, a session
// or enrolment id), and the key of a value that should not stand in a key as it is (a recipient's
// address in a send counter). Enough for secrets with this much entropy (a password gets bcrypt, a
// short code an HMAC); a copy of the database then holds no usable secret. An address hashed this way
// is only kept out of sight, not protected: a phone number can be found by trying them all. Node's
// one-shot hash: several run on every token request, and a Hash object per value cost about three
// times as much.
import { hash } from 'node:crypto';

export const digestOf = (secret: string): string => hash('sha256', secret, 'base64url');
