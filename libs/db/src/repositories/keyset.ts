import { sql, type AnyColumn, type SQL } from 'drizzle-orm';

/**
 * A position in a list ordered by (created_at, id): the sort key of the last row of a page. `createdAt` is the
 * timestamp as PostgreSQL holds it, in microseconds (ISO 8601, UTC): a JavaScript Date keeps milliseconds only,
 * and a key rounded to them would repeat or skip the rows created within the same millisecond.
 */
export interface Keyset {
  createdAt: string;
  id: string;
}

/** One page of a list, and the key to ask for the next one after (absent on the last page). */
export interface Page<T> {
  items: T[];
  next?: Keyset;
}

/** Bounds of a page request. */
export interface PageRequest {
  /** The page starts after this key; from the start when absent. */
  after?: Keyset;
  limit: number;
}

/** The sort key's timestamp as text with microseconds (what `after` compares against). */
export const keysetTime = (createdAt: AnyColumn): SQL<string> =>
  sql<string>`to_char(${createdAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Rows after `key` in (created_at, id) order. A row comparison: with an index on (tenant_id, [filter columns,]
 * created_at, id) PostgreSQL starts its index scan at the key, so a deep page costs what the first one does.
 */
export const afterKey = (createdAt: AnyColumn, id: AnyColumn, key: Keyset | undefined): SQL | undefined =>
  key ? sql`(${createdAt}, ${id}) > (${key.createdAt}::timestamptz, ${key.id}::uuid)` : undefined;

/**
 * Cuts rows fetched with `limit + 1` into a page: the extra row only says that there is a next page, whose key
 * is the last row kept.
 */
export function pageOf<R, T>(
  rows: R[],
  limit: number,
  keyOf: (row: R) => Keyset,
  view: (row: R) => T,
): Page<T> {
  const kept = rows.slice(0, limit);
  return {
    items: kept.map(view),
    ...(rows.length > limit && kept.length > 0 ? { next: keyOf(kept.at(-1)!) } : {}),
  };
}
