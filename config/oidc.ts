// Every oidc-provider setting hk-idp uses, in one place, each with its reason. What needs the
// database or the pages (adapter, accounts, keys, views) is passed in by src/oidc/provider.ts.
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
> & {
  logoutSource: NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>['logoutSource'];
  postLogoutSuccessSource: NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>['postLogoutSuccessSource'];
};

/** Scope → claims released with it. `sub` is an opaque, stable id, never the member number. */
export const scopeClaims = {
  openid: ['sub'],
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
  // Absolute session lifetime; a union's members often use shared computers.
  Session: 12 * 3600,
  // Short: a leaked code is worthless a minute later (RFC 9700 §4.2.4).
  AuthorizationCode: 60,
  AccessToken: 10 * 60,
  IdToken: 60 * 60,
  // Refresh tokens rotate on every use; the grant (and so the chain) ends with the session day.
  RefreshToken: 12 * 3600,
  Grant: 12 * 3600,
};

export function oidcConfiguration(settings: Settings, hooks: ProviderHooks): Configuration {
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
      keys: settings.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax', secure: settings.issuer.startsWith('https:') },
      short: { httpOnly: true, sameSite: 'lax', secure: settings.issuer.startsWith('https:') },
    },
    features: {
      // The built-in dev login accepts any username and password: never on.
      devInteractions: { enabled: false },
      // Apps end the sign-in with /session/end; our own pages ask and confirm.
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      // A client may revoke only tokens issued to itself.
      revocation: { enabled: true, allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId },
      // Confidential clients (resource servers) may introspect; public ones only their own tokens.
      introspection: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
      },
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
    ttl: { ...lifetimes },
    routes: {
      authorization: '/auth',
      token: '/token',
      userinfo: '/me',
      jwks: '/jwks',
      end_session: '/session/end',
      revocation: '/token/revocation',
      introspection: '/token/introspection',
    },
    discovery: { service_documentation: `${settings.issuer}/` },
  };
}
