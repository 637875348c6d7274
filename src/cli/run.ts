// The hk-idp command line: one function per command, all given the database and the settings.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Settings } from '../../config/settings.ts';
import { upsertMember } from '../accounts/accounts.ts';
import { importMembers } from '../accounts/members.ts';
import type { ImportReport } from '../accounts/csv-import.ts';
import { audit, latestAudit } from '../audit/audit.ts';
import { listOutbox, type OutboxStatus } from '../delivery/outbox.ts';
import { addClient, getClient, listClients, removeClient, rotateSecret, updateClient, type ClientRecord, type LoginKind } from '../clients/clients.ts';
import { InputError } from '../errors.ts';
import { migrate, type Db } from '../storage/db.ts';

export type CliContext = { db: Db; settings: Settings; out: (line: string) => void; actor?: string };
type Command = (args: string[], cli: CliContext) => Promise<void>;

export const USAGE = `Usage: hk-idp <command>

  migrate                                   apply database migrations
  clients add --name N --redirect-uri URI [--redirect-uri URI ...] [--post-logout-redirect-uri URI ...]
              --login member|business [--first-party] [--public] [--logo-uri URI]
  clients list | show ID | remove ID | rotate-secret ID
  clients update ID [--name N] [--redirect-uri URI ...] [--post-logout-redirect-uri URI ...]
              [--login member|business] [--first-party | --third-party] [--logo-uri URI]
  members import FILE.csv                   header: member_number,given_name,family_name,email,mobile,status
  members add --member-number N --given-name G --family-name F [--email E] [--mobile M] [--status active|inactive]
  audit tail [--limit N] [--account ID] [--event NAME]
  outbox list [--status waiting|failed|expired|sent|all] [--limit N]
                                            messages not yet delivered (default) and failed ones, never their content`;

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new InputError((error as Error).message);
  }
}

const actorOf = (cli: CliContext) => cli.actor ?? `cli:${userInfo().username}`;

function describeClient(client: ClientRecord): string[] {
  return [
    `client_id: ${client.clientId}`,
    `name: ${client.name}`,
    `login: ${client.login}`,
    `first party: ${client.firstParty ? 'yes' : 'no'}`,
    `type: ${client.public ? 'public (PKCE, no secret)' : 'confidential (client_secret_basic)'}`,
    `redirect URIs: ${client.redirectUris.join(' ')}`,
    `post-logout redirect URIs: ${client.postLogoutRedirectUris.join(' ') || '-'}`,
  ];
}

const clientOptions = {
  name: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  login: { type: 'string' },
  'first-party': { type: 'boolean' },
  'third-party': { type: 'boolean' },
  public: { type: 'boolean' },
  'logo-uri': { type: 'string' },
} as const;

const production = (cli: CliContext) => cli.settings.mode === 'production';

const clientCommands: Record<string, Command> = {
  async add(args, cli) {
    const { values } = parse(args, clientOptions);
    const { client, secret } = await addClient(
      cli.db,
      {
        name: values.name ?? '',
        login: values.login as LoginKind,
        firstParty: values['first-party'],
        public: values.public,
        redirectUris: values['redirect-uri'] ?? [],
        postLogoutRedirectUris: values['post-logout-redirect-uri'],
        logoUri: values['logo-uri'],
      },
      { production: production(cli) },
    );
    await audit(cli.db, { event: 'client.added', clientId: client.clientId, actor: actorOf(cli) });
    describeClient(client).forEach((line) => cli.out(line));
    if (secret) cli.out(`client_secret: ${secret}\n(shown once; store it in the app's secret store now)`);
  },
  async list(_args, cli) {
    const clients = await listClients(cli.db);
    if (!clients.length) cli.out('no clients');
    for (const c of clients) cli.out(`${c.clientId}  ${c.login.padEnd(8)}  ${c.firstParty ? 'first-party' : 'third-party'}  ${c.name}`);
  },
  async show([id], cli) {
    const client = id ? await getClient(cli.db, id) : undefined;
    if (!client) throw new InputError(`no client ${id ?? ''}`.trim());
    describeClient(client).forEach((line) => cli.out(line));
  },
  async update(args, cli) {
    const { values, positionals } = parse(args, clientOptions);
    const [id] = positionals;
    if (!id) throw new InputError('which client? hk-idp clients update ID ...');
    if (values['first-party'] && values['third-party']) throw new InputError('choose --first-party or --third-party');
    const changes = Object.fromEntries(
      Object.entries({
        name: values.name,
        login: values.login as LoginKind | undefined,
        redirectUris: values['redirect-uri'],
        postLogoutRedirectUris: values['post-logout-redirect-uri'],
        logoUri: values['logo-uri'],
        firstParty: values['first-party'] ? true : values['third-party'] ? false : undefined,
        public: values.public,
      }).filter(([, v]) => v !== undefined),
    );
    const client = await updateClient(cli.db, id, changes, { production: production(cli) });
    await audit(cli.db, { event: 'client.updated', clientId: id, actor: actorOf(cli), detail: { fields: Object.keys(changes) } });
    describeClient(client).forEach((line) => cli.out(line));
  },
  async remove([id], cli) {
    if (!id) throw new InputError('which client? hk-idp clients remove ID');
    await removeClient(cli.db, id);
    await audit(cli.db, { event: 'client.removed', clientId: id, actor: actorOf(cli) });
    cli.out(`removed ${id}`);
  },
  async 'rotate-secret'([id], cli) {
    if (!id) throw new InputError('which client? hk-idp clients rotate-secret ID');
    const secret = await rotateSecret(cli.db, id);
    await audit(cli.db, { event: 'client.secret_rotated', clientId: id, actor: actorOf(cli) });
    cli.out(`client_secret: ${secret}\n(shown once; the old secret no longer works)`);
  },
};

export function printReport(report: ImportReport, out: (line: string) => void): void {
  out(`added ${report.added}, updated ${report.updated}, rejected ${report.rejected.length}`);
  for (const { line, reason } of report.rejected) out(`  line ${line}: ${reason}`);
}

const memberCommands: Record<string, Command> = {
  async import([file], cli) {
    if (!file) throw new InputError('which file? hk-idp members import FILE.csv');
    const report = await importMembers(cli.db, readFileSync(file, 'utf8'));
    await audit(cli.db, { event: 'members.imported', actor: actorOf(cli), detail: { added: report.added, updated: report.updated, rejected: report.rejected.length } });
    printReport(report, cli.out);
  },
  async add(args, cli) {
    const { values } = parse(args, {
      'member-number': { type: 'string' },
      'given-name': { type: 'string' },
      'family-name': { type: 'string' },
      email: { type: 'string' },
      mobile: { type: 'string' },
      status: { type: 'string' },
      language: { type: 'string' },
    });
    const { account, added } = await upsertMember(cli.db, {
      memberNumber: values['member-number'] ?? '',
      givenName: values['given-name'] ?? '',
      familyName: values['family-name'] ?? '',
      email: values.email,
      mobile: values.mobile,
      status: values.status,
      language: values.language,
    });
    await audit(cli.db, { event: added ? 'member.added' : 'member.updated', accountId: account.id, actor: actorOf(cli) });
    cli.out(`${added ? 'added' : 'updated'} member ${account.memberNumber}`);
  },
};

const auditCommands: Record<string, Command> = {
  async tail(args, cli) {
    const { values } = parse(args, { limit: { type: 'string' }, account: { type: 'string' }, event: { type: 'string' } });
    const limit = Number(values.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new InputError('--limit must be 1-10000');
    const rows = await latestAudit(cli.db, limit, { accountId: values.account, event: values.event });
    for (const row of rows.reverse()) {
      const who = [row.accountId && `account=${row.accountId}`, row.clientId && `client=${row.clientId}`, row.actor && `by=${row.actor}`, row.ip && `ip=${row.ip}`].filter(Boolean).join(' ');
      cli.out(`${new Date(row.at).toISOString()}  ${row.event}  ${who}${Object.keys(row.detail).length ? `  ${JSON.stringify(row.detail)}` : ''}`);
    }
  },
};

const OUTBOX_VIEWS: Record<string, OutboxStatus[]> = {
  waiting: ['pending', 'sending'],
  failed: ['failed'],
  expired: ['expired'],
  sent: ['sent'],
  all: ['pending', 'sending', 'failed', 'expired', 'sent'],
};

const outboxCommands: Record<string, Command> = {
  async list(args, cli) {
    const { values } = parse(args, { status: { type: 'string' }, limit: { type: 'string' } });
    const statuses = values.status ? OUTBOX_VIEWS[values.status] : ['pending', 'sending', 'failed'] satisfies OutboxStatus[];
    if (!statuses) throw new InputError(`--status must be one of ${Object.keys(OUTBOX_VIEWS).join(', ')}`);
    const limit = Number(values.limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new InputError('--limit must be 1-10000');
    const entries = await listOutbox(cli.db, statuses, limit);
    if (!entries.length) cli.out('no messages');
    const time = (ms: number) => new Date(ms).toISOString();
    // Stored values are printed escaped: a crafted address or server reply cannot forge a line.
    const plain = (value: string) => JSON.stringify(value).slice(1, -1);
    for (const e of entries.reverse()) {
      const when = e.status === 'pending' ? `  next=${time(e.nextAttemptAt)}` : '';
      cli.out(`${e.id}  ${e.status.padEnd(7)}  ${e.channel.padEnd(5)}  ${plain(e.kind)}  to=${plain(e.recipient)}  attempts=${e.attempts}  created=${time(e.createdAt)}${when}  expires=${time(e.expiresAt)}${e.lastError ? `  error=${plain(e.lastError)}` : ''}`);
    }
  },
};

const groups: Record<string, Record<string, Command>> = {
  clients: clientCommands,
  members: memberCommands,
  audit: auditCommands,
  outbox: outboxCommands,
};

/** Runs one command; returns the exit code. Bad input prints its reason and changes nothing. */
export async function runCli(argv: string[], cli: CliContext & { err: (line: string) => void }): Promise<number> {
  const [group, name, ...args] = argv;
  try {
    if (group === 'migrate') {
      const applied = await migrate(cli.db);
      cli.out(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
      return 0;
    }
    const command = group ? groups[group]?.[name ?? ''] : undefined;
    if (!command) {
      cli.err(USAGE);
      return 64;
    }
    await command(args, cli);
    return 0;
  } catch (error) {
    if (error instanceof InputError) {
      cli.err(`error: ${error.message}`);
      return 65;
    }
    throw error;
  }
}
