// npm runs a dependency's install script only when package.json's `allowScripts` lists it (newer
// releases block the rest without failing the install). A dependency that needs its script and is
// not listed would install without it: `node` without the Node 24 binary, `bcrypt` without its binding.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const read = (file: string) => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));

test('every locked dependency with an install script is allowed to run it, and nothing else is listed', () => {
  const { allowScripts = {} } = read('package.json') as { allowScripts?: Record<string, boolean> };
  const { packages } = read('package-lock.json') as { packages: Record<string, { hasInstallScript?: boolean }> };
  const withScripts = Object.entries(packages)
    .filter(([path, entry]) => path !== '' && entry.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  assert.ok(withScripts.length > 0, 'the lock file records install scripts');
  assert.deepEqual([...new Set(withScripts)].sort(), Object.keys(allowScripts).sort());
  assert.ok(Object.values(allowScripts).every((allowed) => allowed === true));
});
