// Builds the oidc-provider instance from config/oidc.ts and our stores. The Provider is itself the
// koa application: our interaction routes are added in front of its own with provider.use.
import Provider, { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { oidcConfiguration, type ProviderHooks } from '../../config/oidc.ts';
import type { Settings } from '../../config/settings.ts';
import type { LoginKind } from '../../config/vocabulary.ts';
import { accountClaims, canSignIn, findAccountById, fromRow } from '../accounts/accounts.ts';
import { audit, type AuditEvent } from '../audit/audit.ts';
import { secretMatches } from '../clients/clients.ts';
import type { Db } from '../storage/db.ts';
import { createAdapterFactory, keptAccount } from './adapter.ts';
import { outgoingFetch } from './backchannel.ts';
import { staffAccount } from '../staff/console-client.ts';
import type { SigningKey } from './keys.ts';

/** The pages the provider itself renders (errors, logout); they come from interactions/. */
export type ProviderPages = Pick<ProviderHooks, 'renderError' | 'logoutSource' | 'postLogoutSuccessSource'>;

const { Prompt, Check, base } = interactionPolicy;

/** Prompts: the library's login and consent, plus "signed in with the wrong kind of account". */
function policy() {
  const prompts = base();
  // A member session must not satisfy a business client, nor the other way round.
  prompts.get('login')!.checks.add(
    // The library gives checks added later no error of their own: say login_required, as its own login checks do.
    new Check('account_kind', 'the client requires another kind of account', 'login_required', async (ctx) => {
      const account = ctx.oidc.account as { kind?: LoginKind } | undefined;
      const wanted = (ctx.oidc.client as unknown as { login?: LoginKind } | undefined)?.login;
      return account && wanted && account.kind !== wanted ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
  return prompts satisfies InstanceType<typeof Prompt>[];
}

export function createProvider(
  settings: Settings,
  deps: { db: Db; keys: SigningKey[]; pages: ProviderPages; now?: () => number },
): Provider {
  const { db } = deps;
  const configuration = oidcConfiguration(settings, {
    ...deps.pages,
    adapter: createAdapterFactory(db, deps.now) as never,
    jwks: { keys: deps.keys as never },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: policy() },
    fetch: outgoingFetch(settings.backchannelAllowLoopback),
    extraClientMetadata: {
      properties: ['login', 'first_party'],
      validator(_ctx, key, value) {
        if (key === 'login' && value !== 'member' && value !== 'business' && value !== 'staff') throw new Error('login must be member, business or staff');
      },
    },
    async findAccount(_ctx, sub) {
      // Usually brought along by the look-up of the token being used (adapter.ts, TOKEN_WITH_CONTEXT).
      const kept = typeof sub === 'string' ? keptAccount(sub) : undefined;
      const account = kept ? fromRow(kept) : await findAccountById(db, sub);
      // Staff (the console) live in a table of their own.
      if (!account) return staffAccount(db, sub);
      // A disabled or wiped account ends its sessions: the provider asks for a new sign-in.
      if (!account || !canSignIn(account) || !account.passwordHash) return undefined;
      return {
        accountId: account.id,
        kind: account.kind,
        async claims() {
          return accountClaims(account) as { sub: string };
        },
      };
    },
    // First-party apps (listed with --first-party) need no consent: their grant is made silently.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const { oidc } = ctx;
      const client = oidc.client!;
      const grantId = oidc.result?.consent?.grantId || oidc.session!.grantIdFor(client.clientId);
      const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
      if (!(client as unknown as { first_party?: boolean }).first_party) return existing;
      const grant = existing ?? new oidc.provider.Grant({ clientId: client.clientId, accountId: oidc.session!.accountId });
      grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
      await grant.save();
      return grant;
    },
  });
  const provider = new Provider(settings.issuer, configuration);
  // Koa trusts X-Forwarded-* only from the configured number of proxy hops.
  provider.proxy = settings.trustProxyHops > 0;
  provider.maxIpsCount = settings.trustProxyHops;
  // The provider's own logout (confirmed on our page) is audited like every other session end.
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    const { session, client, params } = ctx.oidc;
    const entry: AuditEvent = {
      event: 'session.ended',
      accountId: session?.accountId ?? null,
      clientId: client?.clientId ?? null,
      ip: ctx.ip,
      userAgent: ctx.get('user-agent') || null,
      detail: { reason: 'logout', everywhere: params?.logout !== undefined },
    };
    audit(db, entry, (deps.now ?? Date.now)()).catch((error) => provider.emit('server_error', ctx, error));
  });
  // Client secrets are stored hashed: compare the hash of what the client presents (see clients.ts).
  provider.Client.prototype.compareClientSecret = async function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    return typeof this.clientSecret === 'string' && secretMatches(this.clientSecret, actual);
  };
  return provider;
}
