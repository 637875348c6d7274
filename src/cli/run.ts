// The hk-idp command line: one function per command, all given the database and the settings.
import { createReadStream, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Readable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Settings } from '../../config/settings.ts';
import { upsertMember } from '../accounts/accounts.ts';
import { sendFirstTimePasswordAsCaseworker } from '../accounts/first-time-passwords.ts';
import { importMembers } from '../accounts/members.ts';
import {
  disableBusinessUser,
  enableBusinessUser,
  importBusinessUsers,
  inviteBusinessUser,
  listBusinessUsers,
  upsertBusinessUser,
} from '../accounts/business-users.ts';
import type { Account } from '../accounts/accounts.ts';
import { progressBar, type ImportOptions, type ImportReport } from '../accounts/csv-import.ts';
import { audit, latestAudit, type AuditContext } from '../audit/audit.ts';
import { listOutbox, type OutboxStatus } from '../delivery/outbox.ts';
import { addClient, getClient, listClients, removeClient, rotateSecret, updateClient, type ClientRecord, type IdTokenAlg } from '../clients/clients.ts';
import type { LoginKind } from '../../config/vocabulary.ts';
import { InputError } from '../errors.ts';
import { listSigningKeys, rotateSigningKeys } from '../oidc/keys.ts';
import { createCounterStore } from '../security/counters.ts';
import { createSendGuard } from '../security/send-limits.ts';
import { runPurge } from '../maintenance/purge.ts';
import { migrate, type Db } from '../storage/db.ts';
import { MESSAGE_LIMIT, printable } from './output.ts';
import { inviteStaff } from '../staff/enrolment.ts';
import { addStaff, disableStaff, enableStaff, listStaff, resetStaff } from '../staff/staff.ts';

export type CliContext = { db: Db; settings: Settings; out: (line: string) => void; err?: (line: string) => void; actor?: string };
type Command = (args: string[], cli: CliContext) => Promise<void>;

export const USAGE = `Usage: hk-idp <command>

  migrate                                   apply database migrations (the deploy step; see MIGRATE_ON_START)
  purge                                     delete expired rows now (waits for no one: skipped if another instance is purging)
  clients add --name N --redirect-uri URI [--redirect-uri URI ...] [--post-logout-redirect-uri URI ...]
              --login member|business [--first-party] [--public] [--logo-uri URI] [--id-token-alg RS256|ES256]
              [--backchannel-logout-uri URI [--backchannel-logout-session-required]]
  clients list | show ID | remove ID | rotate-secret ID
  clients update ID [--name N] [--redirect-uri URI ...] [--post-logout-redirect-uri URI ...]
              [--login member|business] [--first-party | --third-party] [--logo-uri URI] [--id-token-alg RS256|ES256]
              [--backchannel-logout-uri URI|""] [--backchannel-logout-session-required | --no-backchannel-logout-session-required]
  members import FILE.csv [--dry-run]       header: member_number,given_name,family_name,email,mobile,status
                                            (optional: language, password_hash; separated by ; or , ; --dry-run changes nothing)
  members add --member-number N --given-name G --family-name F [--email E] [--mobile M] [--status active|inactive]
  members send-first-time-password MEMBER_NUMBER --sms --by CASEWORKER
                                            caseworker help: SMS a first-time password to the registered mobile
  keys list | rotate                        signing keys (rotate twice, restarting in between: add, then promote)
  business-users add --email E --given-name G --family-name F --organization-number N --organization-name O
              [--mobile M] [--language nb|en] [--invite]
  business-users import FILE.csv [--invite] [--dry-run]
                                            header: email,mobile,given_name,family_name,organization_number,organization_name
              (--invite e-mails a link to every user in the file who has not activated yet)
  business-users list [--status invited|active|disabled] [--organization-number N]
  business-users invite EMAIL | disable EMAIL | enable EMAIL
  audit tail [--limit N] [--account ID] [--event NAME]
  outbox list [--status waiting|failed|expired|sent|all] [--limit N]
                                            messages not yet delivered (default) and failed ones, never their content
  staff add --email E --name N --role caseworker|admin [--language nb|en]
                                            adds a console user and e-mails an enrolment link (password + TOTP)
  staff list | disable EMAIL | enable EMAIL
  staff reset EMAIL                         forgets password, TOTP and recovery codes; e-mails a new enrolment link`;

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new InputError((error as Error).message);
  }
}

const actorOf = (cli: CliContext) => cli.actor ?? `cli:${userInfo().username}`;
/** Who ran the command, for the core functions that audit it. */
const by = (cli: CliContext): AuditContext => ({ actor: actorOf(cli) });

function describeClient(client: ClientRecord): string[] {
  return [
    `client_id: ${printable(client.clientId)}`,
    `name: ${printable(client.name)}`,
    `login: ${client.login}`,
    `first party: ${client.firstParty ? 'yes' : 'no'}`,
    `type: ${client.public ? 'public (PKCE, no secret)' : 'confidential (client_secret_basic)'}`,
    `ID token algorithm: ${client.idTokenAlg}`,
    `redirect URIs: ${client.redirectUris.join(' ')}`,
    `post-logout redirect URIs: ${client.postLogoutRedirectUris.join(' ') || '-'}`,
    `back-channel logout URI: ${client.backchannelLogoutUri ?? '-'}${client.backchannelLogoutUri && client.backchannelLogoutSessionRequired ? ' (session required: sid in every logout token)' : ''}`,
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
  'id-token-alg': { type: 'string' },
  'backchannel-logout-uri': { type: 'string' },
  'backchannel-logout-session-required': { type: 'boolean' },
  'no-backchannel-logout-session-required': { type: 'boolean' },
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
        idTokenAlg: values['id-token-alg'] as IdTokenAlg | undefined,
        backchannelLogoutUri: values['backchannel-logout-uri'],
        backchannelLogoutSessionRequired: values['backchannel-logout-session-required'],
      },
      { production: production(cli), by: by(cli) },
    );
    describeClient(client).forEach((line) => cli.out(line));
    if (secret) cli.out(`client_secret: ${secret}\n(shown once; store it in the app's secret store now)`);
  },
  async list(_args, cli) {
    const clients = await listClients(cli.db);
    if (!clients.length) cli.out('no clients');
    for (const c of clients) cli.out(`${printable(c.clientId)}  ${c.login.padEnd(8)}  ${c.firstParty ? 'first-party' : 'third-party'}  ${printable(c.name)}`);
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
    const sessionRequired = values['backchannel-logout-session-required'];
    if (sessionRequired && values['no-backchannel-logout-session-required']) {
      throw new InputError('choose --backchannel-logout-session-required or --no-backchannel-logout-session-required');
    }
    const changes = Object.fromEntries(
      Object.entries({
        name: values.name,
        login: values.login as LoginKind | undefined,
        redirectUris: values['redirect-uri'],
        postLogoutRedirectUris: values['post-logout-redirect-uri'],
        logoUri: values['logo-uri'],
        idTokenAlg: values['id-token-alg'] as IdTokenAlg | undefined,
        firstParty: values['first-party'] ? true : values['third-party'] ? false : undefined,
        public: values.public,
        // An empty URI removes it.
        backchannelLogoutUri: values['backchannel-logout-uri'],
        backchannelLogoutSessionRequired: sessionRequired ? true : values['no-backchannel-logout-session-required'] ? false : undefined,
      }).filter(([, v]) => v !== undefined),
    );
    const client = await updateClient(cli.db, id, changes, { production: production(cli), by: by(cli) });
    describeClient(client).forEach((line) => cli.out(line));
  },
  async remove([id], cli) {
    if (!id) throw new InputError('which client? hk-idp clients remove ID');
    await removeClient(cli.db, id, by(cli));
    cli.out(`removed ${id}`);
  },
  async 'rotate-secret'([id], cli) {
    if (!id) throw new InputError('which client? hk-idp clients rotate-secret ID');
    const secret = await rotateSecret(cli.db, id, by(cli));
    cli.out(`client_secret: ${secret}\n(shown once; the old secret no longer works)`);
  },
};

export function printReport(report: ImportReport, out: (line: string) => void): void {
  const counts = `added ${report.added}, updated ${report.updated}, unchanged ${report.unchanged}, rejected ${report.rejected.length}`;
  if (report.dryRun) {
    out(`dry run, nothing saved: would have ${counts}`);
    for (const change of report.changes) out(`  line ${change.line}: ${change.action} ${printable(change.key)}${change.fields.length ? ` (${change.fields.join(', ')})` : ''}`);
    if (report.changesOmitted) out(`  ... and ${report.changesOmitted} more changes`);
  } else {
    out(counts);
  }
  // The reason quotes the bad value: escaped and cut, so a crafted CSV cannot forge report lines.
  for (const { line, reason } of report.rejected) out(`  line ${line}: ${printable(reason, MESSAGE_LIMIT)}`);
}

/** Opens the import file (a clear error if it cannot be read) and draws progress on a terminal. */
function importSource(file: string | undefined, usage: string): { stream: Readable; options: ImportOptions; done(): void } {
  if (!file) throw new InputError(`which file? ${usage}`);
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new InputError(`cannot read ${file}`);
  }
  const bar = progressBar(process.stderr, size);
  return { stream: createReadStream(file), options: { onProgress: bar.update }, done: bar.done };
}

const memberCommands: Record<string, Command> = {
  async import(args, cli) {
    const { values, positionals } = parse(args, { 'dry-run': { type: 'boolean' } });
    const source = importSource(positionals[0], 'hk-idp members import FILE.csv [--dry-run]');
    const report = await importMembers(cli.db, source.stream, { ...source.options, dryRun: values['dry-run'], by: by(cli) }).finally(source.done);
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
    const { account, added } = await upsertMember(
      cli.db,
      {
        memberNumber: values['member-number'] ?? '',
        givenName: values['given-name'] ?? '',
        familyName: values['family-name'] ?? '',
        email: values.email,
        mobile: values.mobile,
        status: values.status,
        language: values.language,
      },
      by(cli),
    );
    cli.out(`${added ? 'added' : 'updated'} member ${printable(account.memberNumber ?? '')}`);
  },
  async 'send-first-time-password'(args, cli) {
    const { values, positionals } = parse(args, { sms: { type: 'boolean' }, by: { type: 'string' } });
    const [memberNumber, ...extra] = positionals;
    if (!memberNumber || extra.length) throw new InputError('which member? hk-idp members send-first-time-password MEMBER_NUMBER --sms --by CASEWORKER');
    if (!values.sms) throw new InputError('--sms is required: a caseworker sends first-time passwords by SMS only');
    if (!values.by) throw new InputError('--by CASEWORKER is required: the audit log records who sent it');
    const counters = createCounterStore(cli.db, cli.settings);
    const guard = createSendGuard(counters, cli.settings.sendLimits, Date.now, (message) => cli.err?.(`ALERT ${message}`));
    const result = await sendFirstTimePasswordAsCaseworker(cli.db, cli.settings, guard, { memberNumber, caseworker: values.by }, { actor: actorOf(cli) }, Date.now()).finally(() => counters.close());
    if (!result.sent) {
      const why = {
        unknown_member: 'there is no member with that number',
        inactive: 'the member is not active',
        no_contact: 'the member has no registered mobile number',
        limited_recipient: 'too many first-time passwords to this number lately; try again later',
        limited_ip: 'you have sent too many first-time passwords this hour',
        limited_sms_budget: 'the SMS budget is spent; SMS is stopped',
        superseded: 'the member ordered one at the same moment; theirs stands',
      };
      throw new InputError(`nothing sent to member ${memberNumber}: ${why[result.reason]}`);
    }
    cli.out(`first-time password queued by SMS to member ${memberNumber}'s registered mobile (ending ${result.to.slice(1)}); it was not shown to anyone`);
  },
};

/** E-mails an invitation link and records who sent it. */
async function invite(cli: CliContext, email: string): Promise<void> {
  const { account, expiresAt } = await inviteBusinessUser(
    cli.db,
    { issuer: cli.settings.issuer, ttlMs: cli.settings.invitationTtl * 1000, createdBy: actorOf(cli) },
    email,
    Date.now(),
    by(cli),
  );
  cli.out(`invited ${printable(account.email ?? '')} (link valid until ${new Date(expiresAt).toISOString()})`);
}

const describeBusinessUser = (a: Account) =>
  [a.email, a.status.padEnd(8), a.organizationNumber, a.organizationName, [a.givenName, a.familyName].join(' '), a.mobile ?? '-'].map((value) => printable(value ?? '')).join('  ');

const businessUserCommands: Record<string, Command> = {
  async add(args, cli) {
    const { values } = parse(args, {
      email: { type: 'string' },
      mobile: { type: 'string' },
      'given-name': { type: 'string' },
      'family-name': { type: 'string' },
      'organization-number': { type: 'string' },
      'organization-name': { type: 'string' },
      language: { type: 'string' },
      invite: { type: 'boolean' },
    });
    const { account, added } = await upsertBusinessUser(
      cli.db,
      {
        email: values.email ?? '',
        mobile: values.mobile,
        givenName: values['given-name'] ?? '',
        familyName: values['family-name'] ?? '',
        organizationNumber: values['organization-number'] ?? '',
        organizationName: values['organization-name'] ?? '',
        language: values.language,
      },
      Date.now(),
      by(cli),
    );
    cli.out(`${added ? 'added' : 'updated'} business user ${printable(account.email ?? '')} (${account.status})`);
    if (values.invite) await invite(cli, account.email!);
  },
  async import(args, cli) {
    const { values, positionals } = parse(args, { invite: { type: 'boolean' }, 'dry-run': { type: 'boolean' } });
    if (values.invite && values['dry-run']) throw new InputError('--invite sends e-mail: not with --dry-run');
    const source = importSource(positionals[0], 'hk-idp business-users import FILE.csv [--invite] [--dry-run]');
    const report = await importBusinessUsers(cli.db, source.stream, Date.now(), { ...source.options, dryRun: values['dry-run'], by: by(cli) }).finally(source.done);
    printReport(report, cli.out);
    if (values.invite) for (const email of report.invited) await invite(cli, email);
  },
  async list(args, cli) {
    const { values } = parse(args, { status: { type: 'string' }, 'organization-number': { type: 'string' } });
    const users = await listBusinessUsers(cli.db, { status: values.status, organizationNumber: values['organization-number'] });
    if (!users.length) cli.out('no business users');
    for (const user of users) cli.out(describeBusinessUser(user));
  },
  async invite([email], cli) {
    if (!email) throw new InputError('which user? hk-idp business-users invite EMAIL');
    await invite(cli, email);
  },
  async disable([email], cli) {
    if (!email) throw new InputError('which user? hk-idp business-users disable EMAIL');
    const account = await disableBusinessUser(cli.db, email, Date.now(), by(cli));
    cli.out(`disabled ${printable(account.email ?? '')}; their sessions and tokens have ended`);
  },
  async enable([email], cli) {
    if (!email) throw new InputError('which user? hk-idp business-users enable EMAIL');
    const account = await enableBusinessUser(cli.db, email, Date.now(), by(cli));
    cli.out(`enabled ${printable(account.email ?? '')} (${account.status})`);
  },
};

const auditCommands: Record<string, Command> = {
  async tail(args, cli) {
    const { values } = parse(args, { limit: { type: 'string' }, account: { type: 'string' }, event: { type: 'string' } });
    const limit = Number(values.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new InputError('--limit must be 1-10000');
    const rows = await latestAudit(cli.db, limit, { accountId: values.account, event: values.event });
    for (const row of rows.reverse()) {
      // The User-Agent, the client and the detail come from requests: escaped and cut.
      const who = [row.accountId && `account=${row.accountId}`, row.clientId && `client=${printable(row.clientId)}`, row.actor && `by=${printable(row.actor)}`, row.ip && `ip=${printable(row.ip)}`, row.userAgent && `ua="${printable(row.userAgent)}"`].filter(Boolean).join(' ');
      cli.out(`${new Date(row.at).toISOString()}  ${printable(row.event)}  ${who}${Object.keys(row.detail).length ? `  ${printable(JSON.stringify(row.detail), MESSAGE_LIMIT)}` : ''}`);
    }
  },
};

const keyCommands: Record<string, Command> = {
  async list(_args, cli) {
    const describe = { active: 'active (signs)', next: 'next (published, signs after `keys rotate` again)', retired: 'retired' };
    for (const key of await listSigningKeys(cli.db)) {
      const state = key.retiredAt ? `retired ${new Date(key.retiredAt).toISOString()} (published until its tokens expire)` : describe[key.state as 'active' | 'next'];
      cli.out(`${key.kid}  ${key.alg}  created ${new Date(key.createdAt).toISOString()}  ${state}`);
    }
  },
  async rotate(_args, cli) {
    const step = await rotateSigningKeys(cli.db, cli.settings.keyEncryptionKey, Date.now(), by(cli));
    if (step === 'added') {
      cli.out('Step 1 of 2: next signing keys added. Restart every instance (rolling) so all of them publish them,');
      cli.out('then run `hk-idp keys rotate` again.');
    } else {
      cli.out('Step 2 of 2: the next keys now sign; the old ones are retired and stay published until the tokens they signed expire.');
      cli.out('Restart every instance (rolling) so all of them sign with the new keys.');
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
    for (const e of entries.reverse()) {
      const when = e.status === 'pending' ? `  next=${time(e.nextAttemptAt)}` : '';
      cli.out(`${e.id}  ${e.status.padEnd(7)}  ${e.channel.padEnd(5)}  ${printable(e.kind)}  to=${printable(e.recipient)}  attempts=${e.attempts}  created=${time(e.createdAt)}${when}  expires=${time(e.expiresAt)}${e.lastError ? `  error=${printable(e.lastError)}` : ''}`);
    }
  },
};

/** E-mails a staff member an enrolment link and records who sent it. */
async function inviteStaffMember(cli: CliContext, email: string): Promise<void> {
  const { staff, expiresAt } = await inviteStaff(cli.db, { issuer: cli.settings.issuer, ttlMs: cli.settings.invitationTtl * 1000, createdBy: actorOf(cli) }, email, Date.now(), by(cli));
  cli.out(`invited ${staff.email} (enrolment link valid until ${new Date(expiresAt).toISOString()})`);
}

const staffCommands: Record<string, Command> = {
  async add(args, cli) {
    const { values } = parse(args, { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, language: { type: 'string' } });
    const staff = await addStaff(cli.db, { email: values.email ?? '', name: values.name ?? '', role: values.role ?? '', language: values.language }, Date.now(), by(cli));
    cli.out(`added ${staff.role} ${staff.email}`);
    await inviteStaffMember(cli, staff.email);
  },
  async list(_args, cli) {
    const staff = await listStaff(cli.db);
    if (!staff.length) cli.out('no staff');
    for (const s of staff) cli.out([s.email, s.role.padEnd(10), s.status.padEnd(8), s.name].join('  '));
  },
  async disable([email], cli) {
    if (!email) throw new InputError('which staff member? hk-idp staff disable EMAIL');
    const staff = await disableStaff(cli.db, email, Date.now(), by(cli));
    cli.out(`disabled ${staff.email}; their sessions have ended`);
  },
  async enable([email], cli) {
    if (!email) throw new InputError('which staff member? hk-idp staff enable EMAIL');
    const staff = await enableStaff(cli.db, email, Date.now(), by(cli));
    cli.out(`enabled ${staff.email} (${staff.status})`);
  },
  async reset([email], cli) {
    if (!email) throw new InputError('which staff member? hk-idp staff reset EMAIL');
    const staff = await resetStaff(cli.db, email, Date.now(), by(cli));
    cli.out(`reset ${staff.email}: password, TOTP and recovery codes forgotten; sessions ended`);
    await inviteStaffMember(cli, staff.email);
  },
};

const groups: Record<string, Record<string, Command>> = {
  keys: keyCommands,
  clients: clientCommands,
  members: memberCommands,
  'business-users': businessUserCommands,
  audit: auditCommands,
  outbox: outboxCommands,
  staff: staffCommands,
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
    if (group === 'purge') {
      const report = await runPurge(cli.db, { now: Date.now(), auditRetentionDays: cli.settings.operations.auditRetentionDays });
      if (!report.ran) {
        cli.out('another instance is purging right now; nothing done');
        return 0;
      }
      for (const [name, count] of Object.entries(report.purged)) cli.out(`${name}: ${count} deleted`);
      await audit(cli.db, { event: 'maintenance.purged', actor: actorOf(cli), detail: report.purged });
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
      cli.err(`error: ${printable(error.message, MESSAGE_LIMIT)}`);
      return 65;
    }
    throw error;
  }
}
