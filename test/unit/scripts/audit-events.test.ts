// SECURITY.md's list of audit events is the output of scripts/audit-events.ts, which reads it from
// the type AuditEvents: an event added, renamed or changed in the type without regenerating the list fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { auditEventsSection, SECTION_HEADING } from '../../../scripts/audit-events.ts';

test('SECURITY.md lists every audit event as the type defines it (regenerate: node scripts/audit-events.ts)', () => {
  const security = readFileSync(new URL('../../../SECURITY.md', import.meta.url), 'utf8');
  const start = security.indexOf(`${SECTION_HEADING}\n`);
  assert.ok(start >= 0, `SECURITY.md has no "${SECTION_HEADING}" section`);
  const end = security.indexOf('\n## ', start + SECTION_HEADING.length);
  const section = security.slice(start, end < 0 ? undefined : end);
  assert.equal(section, auditEventsSection());
});
