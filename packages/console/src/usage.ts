/** One key's rows on one day. */
export interface DailyUsage {
  key: string;
  day: string;
  rows: number;
}

type Loose = Record<string, unknown>;

const keyOf = (r: Loose) => r.key_id ?? r.id ?? r.key ?? r.name;
const dayOf = (r: Loose) => r.day ?? r.date;
const rowsOf = (r: Loose) => r.rows ?? r.rows_used ?? r.requests;

/**
 * GET /admin/usage as rows per key per day. DESIGN.md names the route but not its body, so this
 * reads the plain shapes such a report takes: a list of `{key_id, day, rows}` records (under
 * `usage`, `items` or at the top), or keys each with a list of days (`days`, `daily`, `usage`).
 */
export function dailyUsage(body: unknown): DailyUsage[] {
  const out: DailyUsage[] = [];
  const top = body as Loose | unknown[] | null;
  const list: unknown[] = Array.isArray(top)
    ? top
    : top !== null && typeof top === 'object'
      ? ((Array.isArray(top.usage)
          ? top.usage
          : Array.isArray(top.items)
            ? top.items
            : Array.isArray(top.keys)
              ? top.keys
              : []) as unknown[])
      : [];
  for (const item of list) {
    if (typeof item !== 'object' || item === null) continue;
    const record = item as Loose;
    const key = keyOf(record);
    const nested = record.days ?? record.daily ?? record.usage;
    if (Array.isArray(nested)) {
      for (const d of nested) {
        if (typeof d !== 'object' || d === null) continue;
        const day = dayOf(d as Loose);
        const rows = rowsOf(d as Loose);
        if (typeof key === 'string' && typeof day === 'string' && typeof rows === 'number') {
          out.push({ key, day: day.slice(0, 10), rows });
        }
      }
      continue;
    }
    const day = dayOf(record);
    const rows = rowsOf(record);
    if (typeof key === 'string' && typeof day === 'string' && typeof rows === 'number') {
      out.push({ key, day: day.slice(0, 10), rows });
    }
  }
  return out;
}
