// A relying app for integration tests, built on openid-client as a real app would be.
import * as oidc from 'openid-client';
import { addClient, type ClientInput } from '../../src/clients/clients.ts';
import { Browser, type Page } from './browser.ts';
import { startIdp, type TestIdp } from './idp.ts';
import type { IdpOptions } from '../../src/server.ts';
import { after, before } from 'node:test';

export const CALLBACK = 'https://rp.example/cb';

export type Rp = {
  clientId: string;
  secret: string | null;
  config: oidc.Configuration;
  /** Starts a sign-in in `browser`; returns the first page shown and the values to finish it. */
  start(browser: Browser, params?: Record<string, string>): Promise<{ page: Page; verifier: string; state: string }>;
  /** Exchanges the callback for tokens (PKCE verifier and state checked). */
  finish(callback: string, verifier: string, state: string): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers>;
};

export async function registerRp(idp: TestIdp, input: Partial<ClientInput> = {}): Promise<Rp> {
  const { client, secret } = await addClient(
    idp.db,
    { name: 'Testapp', login: 'member', firstParty: true, redirectUris: [CALLBACK], postLogoutRedirectUris: ['https://rp.example/bye'], ...input },
    { production: false },
  );
  const auth = secret ? oidc.ClientSecretBasic(secret) : oidc.None();
  const config = await oidc.discovery(new URL(idp.issuer), client.clientId, secret ?? undefined, auth, { execute: [oidc.allowInsecureRequests] });
  return {
    clientId: client.clientId,
    secret,
    config,
    async start(browser, params = {}) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid profile email phone member',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        ...params,
      });
      return { page: await browser.go(url, {}, CALLBACK), verifier, state };
    },
    finish(callback, verifier, state) {
      return oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
    },
  };
}

/**
 * A test server and a first-party member app for the enclosing suite: started before its tests and
 * closed after them. Tests that restart the server assign `server.idp` anew.
 */
export function serverWithApp(env: Record<string, string> = {}): { idp: TestIdp; rp: Rp } {
  const server = {} as { idp: TestIdp; rp: Rp };
  before(async () => {
    server.idp = await startIdp(env);
    server.rp = await registerRp(server.idp);
  });
  after(() => server.idp.close());
  return server;
}

/**
 * A server and a first-party member app for the enclosing suite, and with `twoInstances` a second
 * instance on the same database (`other`; otherwise the same as `idp`), for races across processes.
 * `options` go to both (e.g. `outboxIntervalMs: 0`: no worker ticks among statements a test counts).
 */
export function instancesWithApp(twoInstances: boolean, options: IdpOptions = {}): { idp: TestIdp; other: TestIdp; rp: Rp } {
  const server = {} as { idp: TestIdp; other: TestIdp; rp: Rp };
  before(async () => {
    server.idp = await startIdp({}, options);
    server.other = twoInstances ? await server.idp.another() : server.idp;
    server.rp = await registerRp(server.idp);
  });
  after(() => server.idp.close());
  return server;
}

/** A token endpoint's answer: its status, its body as text, and as JSON (empty when it is not JSON, e.g. koa's bare 500). */
export type TokenAnswer = { status: number; text: string; body: Record<string, string> };

/** One token request straight to an instance's token endpoint (raw HTTP: nothing serialises parallel ones). */
export async function tokenRequest(base: string, rp: Rp, form: Record<string, string>): Promise<TokenAnswer> {
  const response = await fetch(`${base}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(rp.clientId)}:${encodeURIComponent(rp.secret!)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return { status: response.status, text, body: jsonOrEmpty(text) };
}

function jsonOrEmpty(text: string): Record<string, string> {
  try {
    return JSON.parse(text) as Record<string, string>;
  } catch {
    return {};
  }
}

export const refreshAt = (base: string, rp: Rp, refreshToken: string) => tokenRequest(base, rp, { grant_type: 'refresh_token', refresh_token: refreshToken });

/** Userinfo at an instance: its status, and the subject when it answered. */
export async function userinfoAt(base: string, accessToken: string): Promise<{ status: number; sub?: string }> {
  const response = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  if (response.status !== 200) {
    await response.arrayBuffer();
    return { status: response.status };
  }
  return { status: 200, sub: ((await response.json()) as { sub: string }).sub };
}
