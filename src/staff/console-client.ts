// The console is a first-party client of hk-idp itself, registered by the server at every start
// (never by hand), following the issuer; and staff as the provider's accounts (findAccount).
import { addClient, getClient, updateClient } from '../clients/clients.ts';
import type { Db } from '../storage/db.ts';
import { isUniqueViolation } from '../storage/unique-violation.ts';
import { findStaffById, staffCanSignIn } from './staff.ts';

export const CONSOLE_CLIENT_ID = 'hk-console';
export const consoleCallbackPath = '/console/callback';

/**
 * A public client (PKCE, no secret to keep: the redirect URI is the issuer's own /console/callback),
 * login kind `staff`, first-party (no consent page).
 */
export async function ensureConsoleClient(db: Db, issuer: string, production: boolean): Promise<void> {
  const input = {
    name: 'HK-konsoll',
    login: 'staff' as const,
    firstParty: true,
    redirectUris: [`${issuer}${consoleCallbackPath}`],
    postLogoutRedirectUris: [`${issuer}/console`],
  };
  const options = { production, staffConsole: true };
  if (await getClient(db, CONSOLE_CLIENT_ID)) await updateClient(db, CONSOLE_CLIENT_ID, input, options);
  else {
    try {
      await addClient(db, { ...input, public: true }, { ...options, clientId: CONSOLE_CLIENT_ID });
    } catch (error) {
      // Another instance starting at the same moment registered it first.
      if (!isUniqueViolation(error)) throw error;
    }
  }
}

/** A staff member as the provider's account: only while they may sign in (disabled or reset ends their sessions). */
export async function staffAccount(db: Db, sub: string) {
  const staff = await findStaffById(db, sub);
  if (!staff || !staffCanSignIn(staff)) return undefined;
  return {
    accountId: staff.id,
    kind: 'staff' as const,
    async claims() {
      return { sub: staff.id, name: staff.name, email: staff.email, email_verified: true };
    },
  };
}
