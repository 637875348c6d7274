// The CLI's report: written whole before the process exits, even into a slow pipe, and every echoed
// value escaped and cut. The spawned CLI runs on a temporary SQLite database (the output path is the
// same on any database).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ECHO_LIMIT, MESSAGE_LIMIT, printable } from '../../../src/cli/output.ts';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'hk-cli-output-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = 'member_number,given_name,family_name,email,mobile,status\n';

// Reads its stdin in 1 KiB pieces with a pause after each (far slower than the CLI writes), then
// prints what it read. Blocking reads on fd 0: this process does nothing else.
const SLOW_READER = `
const { readSync } = require('node:fs');
const pause = new Int32Array(new SharedArrayBuffer(4));
const buffer = Buffer.alloc(1024);
const chunks = [];
for (let n; (n = readSync(0, buffer)) > 0; ) { chunks.push(Buffer.from(buffer.subarray(0, n))); Atomics.wait(pause, 0, 0, 1); }
process.stdout.write(Buffer.concat(chunks));
`;

/** Runs `hk-idp ARGS | slow reader` in a shell; returns what the reader received and the CLI's stderr. */
function cliThroughSlowPipe(args: string[]): Promise<{ stdout: string; stderr: string; status: number | null }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cli = [process.execPath, 'src/cli/main.ts', ...args].map(quote).join(' ');
  const reader = [process.execPath, '-e', SLOW_READER].map(quote).join(' ');
  const env = { PATH: process.env.PATH, NODE_ENV: 'test', DATA_DIR: dir, DATABASE_URL: `sqlite:${join(dir, 'cli.sqlite')}`, BCRYPT_COST: '4' };
  const child = spawn('/bin/sh', ['-c', `${cli} 2>"$ERR" | ${reader}`], { env: { ...env, ERR: join(dir, 'stderr.txt') } });
  const out: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  return new Promise((resolve) => {
    child.on('close', async (status) => {
      const { readFileSync } = await import('node:fs');
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: readFileSync(join(dir, 'stderr.txt'), 'utf8'), status });
    });
  });
}

test('printable: controls, ANSI sequences and bidi overrides are shown escaped; long values are cut', () => {
  assert.equal(printable('\u001b[2J\u001b[31mrød\u001b[0m'), '\\e[2J\\e[31mrød\\e[0m');
  assert.equal(printable('a\nb\r\tc\u0007\u009b\u007f'), 'a\\nb\\r\\tc\\x07\\x9b\\x7f');
  assert.equal(printable('evil\u202Etxt.exe\u2028'), 'evil\\u202etxt.exe\\u2028');
  assert.equal(printable('Ærlig 🦊 navn'), 'Ærlig 🦊 navn');
  const long = printable('🦊'.repeat(ECHO_LIMIT + 50));
  assert.equal(long, `${'🦊'.repeat(ECHO_LIMIT)}… (50 more characters)`);
});

test('a 5,000-line import with bad lines reports every line through a slow pipe', async () => {
  const file = join(dir, 'many.csv');
  let csv = HEADER;
  let bad = 0;
  for (let i = 1; i <= 5000; i++) {
    if (i % 500 === 250) csv += `${8000000 + i},Ola,Nordmann,,,active\n`;
    else {
      csv += `${8000000 + i},Ola,Nordmann,,not-a-mobile-${i},active\n`;
      bad++;
    }
  }
  writeFileSync(file, csv);
  const { stdout, stderr, status } = await cliThroughSlowPipe(['members', 'import', file]);
  assert.equal(stderr, '');
  assert.equal(status, 0);
  const lines = stdout.split('\n');
  assert.equal(lines.pop(), '', 'the report ends with a whole line');
  assert.equal(lines.length, 1 + bad, `expected ${1 + bad} report lines, got ${lines.length}`);
  assert.equal(lines[0], `added 10, updated 0, unchanged 0, rejected ${bad}`);
  assert.equal(lines.at(-1), `  line 5001: mobile is not a valid number: not-a-mobile-5000`);
});

test('a CSV value with ANSI escapes and line breaks is echoed escaped: no escape byte, no forged line', async () => {
  const file = join(dir, 'evil.csv');
  const evil = '\u001b[2J\u001b[1;1H\u001b[32madded 1000, updated 0, rejected 0\u001b[0m';
  writeFileSync(file, `${HEADER}9000001,Kari,Nordmann,,"${evil}",active\n9000002,Per,Hansen,"x@y.no\n  line 99: forged",,active\n9000003,Ola,Nordmann,,${'9'.repeat(5000)},active\n`);
  const { stdout, status } = await cliThroughSlowPipe(['members', 'import', file]);
  assert.equal(status, 0);
  assert.ok(!stdout.includes('\u001b'), 'no ESC byte reaches the terminal');
  assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(stdout), 'no control character but line ends');
  const lines = stdout.trimEnd().split('\n');
  assert.equal(lines.length, 4, stdout);
  assert.equal(lines[0], 'added 0, updated 0, unchanged 0, rejected 3');
  assert.equal(lines[1], '  line 2: mobile is not a valid number: \\e[2J\\e[1;1H\\e[32madded 1000, updated 0, rejected 0\\e[0m');
  assert.equal(lines[2], '  line 3: email is not a valid address: x@y.no\\n  line 99: forged');
  assert.ok(lines[3]!.length < MESSAGE_LIMIT + 50, `a 5,000-character value is cut: ${lines[3]!.length} characters`);
  assert.match(lines[3]!, /^ {2}line 5: mobile is not a valid number: 9+… \(\d+ more characters\)$/);
});
