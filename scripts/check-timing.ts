// `npm run check:timing`: does any answer take longer for a known account than for an unknown one?
// Strict and statistical, so it is a script of its own, not a gate in `npm test` (see README).
//
// For each comparison, a real server answers two kinds of request over HTTP in pairs whose order is
// random; every request uses a fresh account or identifier, and the limits are raised, so no attempt
// is throttled (that is checked). A Wilcoxon signed-rank test on the paired durations reports a
// difference when p < --alpha. `--self-check` proves the sample is large enough: it compares each
// request with itself plus a 1 ms busy wait, and every comparison must report that difference.
//
// bcrypt runs at cost 4 by default: an answer that skips (or adds) a comparison differs by about
// 1 ms, within what the test detects, and bcrypt's own noise at the production cost would hide
// smaller differences in the database work. `--cost 10 --pairs 2000` measures at the production cost.
import { parseArgs } from 'node:util';
import { setPasswordHash, setUsername, upsertMember } from '../src/accounts/accounts.ts';
import { setBusinessPassword, upsertBusinessUser } from '../src/accounts/business-users.ts';
import { runCli } from '../src/cli/run.ts';
import { Browser } from '../test/support/browser.ts';
import { startIdp, type TestIdp } from '../test/support/idp.ts';
import { registerRp, type Rp } from '../test/support/rp.ts';
import { pairedTimings } from '../test/support/timing.ts';
import { hodgesLehmann, median, wilcoxonSignedRank } from './wilcoxon.ts';

const USAGE = `Usage: npm run check:timing -- [--pairs N] [--warmup N] [--alpha P] [--cost N] [--only NAME] [--self-check]`;
const PASSWORD = 'fjordtur-til-lofoten';
const WRONG = 'wrong-password-1';

type Fields = Record<string, string>;
/**
 * Two kinds of request to the same form (`path` in an interaction of `app`); `make(count)` prepares
 * fresh accounts for `count` of each and returns the fields of the next request of each kind.
 */
type Comparison = { name: string; a: string; b: string; app: 'members' | 'business'; path: string; make(idp: TestIdp, count: number): Promise<{ a: () => Fields; b: () => Fields }> };

let serial = 0;
const memberNumber = () => String(30_000_000 + serial++);
const mobile = () => `4${String(8_000_000 + serial++).padStart(7, '0')}`;

/** A form of a fresh interaction of `rp`: posts fields to `path` (relative to the interaction). */
async function interactionOf(rp: Rp) {
  const browser = new Browser();
  const { page } = await rp.start(browser);
  const uid = /\/interaction\/([\w-]+)/.exec(page.url)![1]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
  const base = new URL(`/interaction/${uid}/`, page.url);
  return async (path: string, fields: Record<string, string>) => {
    const answer = await browser.request(new URL(path, base), { form: { csrf, ...fields } });
    if (answer.status >= 500) throw new Error(`${path} answered ${answer.status}`);
    return answer;
  };
}

/** `count` fresh members, made quickly: one bcrypt hash shared by all (each has its own row). */
async function members(idp: TestIdp, count: number, options: { password?: boolean; username?: boolean } = {}) {
  const hash = await idp.hasher.hash(PASSWORD);
  const made = [];
  for (let i = 0; i < count; i++) {
    const { account } = await upsertMember(idp.db, { memberNumber: memberNumber(), givenName: 'Kari', familyName: 'Nordmann', mobile: mobile(), email: `kari${serial}@example.org` });
    if (options.password !== false) await setPasswordHash(idp.db, account.id, hash);
    const username = options.username ? await setUsername(idp.db, account.id, `kjent.${serial++}`) : undefined;
    made.push({ ...account, username });
  }
  return made;
}

async function businessUsers(idp: TestIdp, count: number) {
  const hash = await idp.hasher.hash(PASSWORD);
  const made = [];
  for (let i = 0; i < count; i++) {
    const { account } = await upsertBusinessUser(idp.db, { email: `bruker${serial++}@firma.example`, givenName: 'Per', familyName: 'Hansen', organizationNumber: '987654321', organizationName: 'Firma AS' });
    await setBusinessPassword(idp.db, account.id, hash, 'email', Date.now(), 'post@hk.no');
    made.push(account);
  }
  return made;
}

/** Takes the next prepared value on each call. */
const queue = <T>(values: T[]) => () => {
  const value = values.shift();
  if (value === undefined) throw new Error('more requests than prepared');
  return value;
};

const comparisons: Comparison[] = [
  {
    name: 'sign-in-member-number',
    a: 'known member number, wrong password',
    b: 'unknown member number',
    app: 'members',
    path: 'login',
    async make(idp, count) {
      const known = queue(await members(idp, count));
      return { a: () => ({ identifier: known().memberNumber!, password: WRONG }), b: () => ({ identifier: memberNumber(), password: WRONG }) };
    },
  },
  {
    name: 'sign-in-username',
    a: 'known username, wrong password',
    b: 'unknown username',
    app: 'members',
    path: 'login',
    async make(idp, count) {
      const known = queue(await members(idp, count, { username: true }));
      return { a: () => ({ identifier: known().username!, password: WRONG }), b: () => ({ identifier: `ukjent.${serial++}`, password: WRONG }) };
    },
  },
  {
    name: 'sign-in-no-password',
    a: 'member with a password, wrong password',
    b: 'member without a password (never set, or wiped)',
    app: 'members',
    path: 'login',
    async make(idp, count) {
      const withPassword = queue(await members(idp, count));
      const without = queue(await members(idp, count, { password: false }));
      return { a: () => ({ identifier: withPassword().memberNumber!, password: WRONG }), b: () => ({ identifier: without().memberNumber!, password: WRONG }) };
    },
  },
  {
    name: 'first-login',
    a: 'member with a first-time password, a wrong one typed',
    b: 'unknown member number',
    app: 'members',
    path: 'first-login',
    async make(idp, count) {
      const known = await members(idp, count);
      for (const member of known) {
        const code = await runCli(['members', 'send-first-time-password', member.memberNumber!, '--sms', '--by', 'check-timing'], { db: idp.db, settings: idp.settings, out: () => {}, err: (line) => console.error(line) });
        if (code !== 0) throw new Error('could not issue a first-time password');
      }
      const next = queue(known);
      return { a: () => ({ member_number: next().memberNumber!, password: 'abcd efgh jkmn' }), b: () => ({ member_number: memberNumber(), password: 'abcd efgh jkmn' }) };
    },
  },
  {
    name: 'order-first-time-password',
    a: 'member number and its registered mobile',
    b: 'member number and another mobile',
    app: 'members',
    path: 'first-time-password',
    async make(idp, count) {
      const matching = queue(await members(idp, count));
      const other = queue(await members(idp, count));
      return {
        a: () => {
          const member = matching();
          return { member_number: member.memberNumber!, channel: 'sms', mobile: member.mobile! };
        },
        b: () => ({ member_number: other().memberNumber!, channel: 'sms', mobile: `+47${mobile()}` }),
      };
    },
  },
  {
    name: 'business-sign-in',
    a: 'known e-mail, wrong password',
    b: 'unknown e-mail',
    app: 'business',
    path: 'business/login',
    async make(idp, count) {
      const known = queue(await businessUsers(idp, count));
      return { a: () => ({ email: known().email!, password: WRONG }), b: () => ({ email: `ukjent${serial++}@firma.example`, password: WRONG }) };
    },
  },
  {
    name: 'business-code-request',
    a: 'known e-mail',
    b: 'unknown e-mail',
    app: 'business',
    path: 'business/activate/email',
    async make(idp, count) {
      const known = queue(await businessUsers(idp, count));
      return { a: () => ({ email: known().email! }), b: () => ({ email: `ingen${serial++}@firma.example` }) };
    },
  },
];

/** The comparison's two kinds of request, `count` of each, posted in one interaction of its app. */
async function requests(comparison: Comparison, idp: TestIdp, apps: Record<Comparison['app'], Rp>, count: number) {
  const fields = await comparison.make(idp, count);
  const post = await interactionOf(apps[comparison.app]);
  return { a: () => post(comparison.path, fields.a()), b: () => post(comparison.path, fields.b()) };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '30' },
      alpha: { type: 'string', default: '0.001' },
      cost: { type: 'string', default: '4' },
      only: { type: 'string' },
      'self-check': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const pairs = Number(values.pairs);
  const warmup = Number(values.warmup);
  const alpha = Number(values.alpha);
  if (values.help || !(pairs >= 20) || !(warmup >= 0) || !(alpha > 0 && alpha < 1) || !/^\d+$/.test(values.cost)) {
    console.error(USAGE);
    return 64;
  }
  const selfCheck = values['self-check'];
  const idp = await startIdp({
    BCRYPT_COST: values.cost,
    // Every attempt is measured untrottled: fresh accounts each time and limits out of reach.
    SIGNIN_FREE_FAILURES: '100',
    SIGNIN_IP_FAILURES_PER_HOUR: '1000000',
    SEND_LIMIT_IP_HOUR: '1000000',
    SEND_LIMIT_RECIPIENT_15MIN: '1000',
    SEND_LIMIT_RECIPIENT_DAY: '10000',
    SMS_BUDGET_HOUR: '10000000',
    SMS_BUDGET_DAY: '100000000',
    RESEND_WAIT: '0',
  });
  let failed = 0;
  try {
    const apps = { members: await registerRp(idp), business: await registerRp(idp, { name: 'Bedriftsportalen', login: 'business' }) };
    const chosen = comparisons.filter((c) => !values.only || c.name === values.only);
    if (!chosen.length) throw new Error(`no comparison named ${values.only}`);
    console.log(`${selfCheck ? 'Self-check: each request against itself + 1 ms' : 'Known against unknown'}; ${pairs} pairs after ${warmup} warm-up pairs, order random within each pair; bcrypt cost ${values.cost}; a difference when p < ${alpha}`);
    for (const comparison of chosen) {
      const { a, b } = await requests(comparison, idp, apps, pairs + warmup);
      // Self-check: b is a again (fresh accounts of the same kind), plus 1 ms.
      const other = selfCheck ? (await requests(comparison, idp, apps, pairs + warmup)).a : b;
      const samples = await pairedTimings(a, other, { pairs, warmup, delayB: selfCheck ? 1 : 0 });
      const differences = samples.b.map((tb, i) => tb - samples.a[i]!);
      const test = wilcoxonSignedRank(differences);
      const differs = test.p < alpha;
      if (differs !== selfCheck) failed++;
      const verdict = selfCheck ? (differs ? 'detected' : 'NOT DETECTED: too few pairs for this noise') : differs ? 'DIFFERENT' : 'no difference found';
      console.log(`\n${comparison.name}: ${verdict}`);
      console.log(`  a: ${comparison.a}: median ${median(samples.a).toFixed(2)} ms`);
      console.log(`  b: ${selfCheck ? `${comparison.a}, + 1 ms` : comparison.b}: median ${median(samples.b).toFixed(2)} ms`);
      console.log(`  b - a: about ${hodgesLehmann(differences).toFixed(2)} ms (Hodges-Lehmann); Wilcoxon z = ${test.z.toFixed(2)}, p = ${test.p.toExponential(2)}`);
    }
    const throttled = await idp.db('audit_log').where({ event: 'sign_in.throttled' }).count({ n: '*' });
    const count = Number(throttled[0]!.n);
    if (count) {
      console.log(`\n${count} attempts were throttled: the measurement is not of the ordinary path`);
      failed++;
    }
  } finally {
    await idp.close();
  }
  console.log(`\n${failed ? `FAILED: ${failed}` : 'OK'}`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
