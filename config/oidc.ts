// Every oidc-provider setting hk-idp uses, in one place, each with its reason. What needs the
// database or the pages (adapter, accounts, keys, views) is passed in by src/oidc/provider.ts.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Configuration } from 'oidc-provider';
import type { Settings } from './settings.ts';

export type ProviderHooks = Pick<
  Configuration,
  | 'adapter'
  | 'findAccount'
  | 'jwks'
  | 'loadExistingGrant'
  | 'renderError'
  | 'interactions'
  | 'extraClientMetadata'
  | 'clientBasedCORS'
  | 'fetch'
> & {
  logoutSource: NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>['logoutSource'];
  postLogoutSuccessSource: NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>['postLogoutSuccessSource'];
};

/** Scope → claims released with it. `sub` is an opaque, stable id, never the member number. */
export const scopeClaims = {
  // amr: how the person signed in (the staff console requires ["pwd", "otp"]).
  openid: ['sub', 'amr'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  member: ['member_number', 'membership_status'],
  business: ['organization_number', 'organization_name'],
};

/** Lifetimes in seconds. */
export const lifetimes = {
  // One multi-step sign-in (order code → choose username → set password) must fit in it.
  Interaction: 3600,
  // Short: a leaked code is worthless a minute later (RFC 9700 §4.2.4).
  AuthorizationCode: 60,
  AccessToken: 10 * 60,
  IdToken: 60 * 60,
  // Refresh tokens rotate on every use; the grant (and so the chain) ends with the session day.
  RefreshToken: 12 * 3600,
  Grant: 12 * 3600,
};

/** How long a retired signing key stays published: the longest life of anything it signed. */
export const signedTokenLifetime = Math.max(lifetimes.IdToken, lifetimes.AccessToken);

/**
 * Cookie names. In production (https) they carry a prefix the browser enforces: `__Host-` (Secure,
 * Path=/, no Domain) for the session; `__Secure-` for the interaction cookies, which the provider
 * scopes to the interaction's own path (two sign-ins in two tabs must not overwrite each other).
 */
export function cookieNames(https: boolean) {
  return https
    ? { session: '__Host-hk_session', interaction: '__Secure-hk_interaction', resume: '__Secure-hk_resume' }
    : { session: 'hk_session', interaction: 'hk_interaction', resume: 'hk_resume' };
}

/**
 * The cookie keys as koa's cookies use them: Keygrip's sign, verify and index, with its signature
 * (HMAC-SHA1 in base64url, the newest key signs, every key verifies). Keygrip compares signatures
 * with a double HMAC over fresh random bytes, ~45 µs a signed cookie read, several a sign-in; the
 * signatures' bytes through timingSafeEqual are as constant-time (their length is public) at a tenth.
 */
export function cookieSigner(keys: readonly string[]) {
  if (keys.length === 0) throw new Error('cookie keys must be provided');
  const sign = (data: string, key: string) => createHmac('sha1', key).update(data).digest('base64url');
  const index = (data: string, digest: string) => {
    const given = Buffer.from(String(digest));
    return keys.findIndex((key) => {
      const expected = Buffer.from(sign(data, key));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  };
  return { sign: (data: string) => sign(data, keys[0]!), verify: (data: string, digest: string) => index(data, digest) > -1, index };
}

/** The session (long) and interaction (short) cookies' options; hk-idp's own logout clears the session cookie with them. */
export const cookieOptions = (https: boolean) => ({ httpOnly: true, sameSite: 'lax' as const, secure: https });

/** Where the provider answers. */
export const ROUTES = {
  authorization: '/auth',
  token: '/token',
  userinfo: '/me',
  jwks: '/jwks',
  end_session: '/session/end',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
} as const;

/**
 * The provider's endpoints that apps call (never a browser): no page of ours is ever shown there. Each
 * with the methods its specification gives it (OPTIONS: the provider's CORS preflight; HEAD: a GET
 * without the body); another method is answered 405.
 */
export function oidcRoutesForApps(): Map<string, readonly string[]> {
  const post = ['POST', 'OPTIONS'];
  const get = ['GET', 'HEAD', 'OPTIONS'];
  return new Map([
    [ROUTES.token, post],
    [ROUTES.userinfo, ['GET', 'HEAD', 'POST', 'OPTIONS']],
    [ROUTES.jwks, get],
    [ROUTES.revocation, post],
    [ROUTES.introspection, post],
    ['/.well-known/openid-configuration', get],
  ]);
}

export function oidcConfiguration(settings: Settings, hooks: ProviderHooks): Configuration {
  const https = settings.issuer.startsWith('https:');
  const { logoutSource, postLogoutSuccessSource, ...rest } = hooks;
  return {
    ...rest,
    claims: scopeClaims,
    scopes: Object.keys(scopeClaims).concat('offline_access'),
    // Our apps ask only for the code flow (RFC 9700 §2.1.2: no implicit or hybrid).
    responseTypes: ['code'],
    // PKCE (S256) for every client, confidential ones too (RFC 9700 §2.1.1).
    pkce: { required: () => true },
    // Secrets are stored hashed, so no client_secret_jwt (it needs the plaintext secret).
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    // RS256 is what OIDC requires by default; ES256 for clients that register for it.
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'ES256'],
      introspectionSigningAlgValues: ['RS256', 'ES256'],
    },
    cookies: {
      names: cookieNames(https),
      keys: cookieSigner(settings.cookieKeys),
      long: cookieOptions(https),
      short: cookieOptions(https),
    },
    features: {
      // The built-in dev login accepts any username and password: never on.
      devInteractions: { enabled: false },
      // Apps end the sign-in with /session/end; our own pages ask and confirm.
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      // Apps that register a back-channel logout URI hear of every session end (see src/oidc/backchannel.ts:
      // the provider's immediate POST is replaced by a durable queue). Discovery advertises it.
      backchannelLogout: { enabled: true },
      // A client may revoke only tokens issued to itself.
      revocation: { enabled: true, allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId },
      // A client may introspect only tokens issued to itself (there are no separate resource servers).
      introspection: { enabled: true, allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId },
      // Clients are registered by admins (hk-idp clients), never by anyone over HTTP.
      registration: { enabled: false },
      // We issue tokens for our own apps only, not for separately registered APIs.
      resourceIndicators: { enabled: false },
      userinfo: { enabled: true },
    },
    // Refresh tokens are issued to every client allowed the grant, not only with offline_access;
    // without offline_access they end with the session, so signing out ends them too.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Every refresh rotates the token; reusing an old one revokes the whole grant.
    rotateRefreshToken: true,
    ttl: {
      ...lifetimes,
      // Sliding: every use of the session moves its end to `idle` from now, never past `max` after sign-in.
      Session: (_ctx, session) => {
        const now = Math.floor(Date.now() / 1000);
        const end = (session.loginTs ?? now) + settings.sessionMaxAge;
        return Math.max(1, Math.min(settings.sessionIdleTimeout, end - now));
      },
    },
    routes: ROUTES,
    discovery: { service_documentation: `${settings.issuer}/` },
  };
}
