// The audit log as admins browse it in the console: filters (event, account, who acted, time) and
// paging by id (newest first; "older" continues below the last id shown).
import { toAuditRow, type AuditRow } from '../audit/audit.ts';
import type { Db } from '../storage/db.ts';

export type AuditFilter = { event?: string; accountId?: string; actor?: string; from?: number; to?: number; before?: number };

export async function searchAudit(db: Db, filter: AuditFilter, limit = 50): Promise<{ rows: AuditRow[]; more: boolean }> {
  const query = db('audit_log').orderBy('id', 'desc').limit(limit + 1);
  if (filter.event) query.where({ event: filter.event.slice(0, 100) });
  if (filter.accountId) query.where({ account_id: filter.accountId.slice(0, 64) });
  if (filter.actor) query.whereRaw("actor like ? escape '\\'", [`%${filter.actor.slice(0, 100).replace(/[\\%_]/g, (c) => `\\${c}`)}%`]);
  if (filter.from !== undefined) query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query.where('at', '<', filter.to);
  if (filter.before !== undefined) query.where('id', '<', filter.before);
  const found = await query;
  const rows = found.slice(0, limit).map(toAuditRow);
  return { rows, more: found.length > limit };
}
