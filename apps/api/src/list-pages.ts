import type { Keyset, Page } from '@shortlist/db';
import { HttpError } from './http-error';

/**
 * Cursor paging, the same for every list: items in creation order (created_at, then id), `limit` per page, and
 * `nextCursor` on every page but the last. A cursor is opaque to clients: base64url of the last item's sort key
 * (its creation time in microseconds and its id), so the next page starts right after it, however many rows were
 * added or removed meanwhile, with no row repeated or skipped.
 */

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** The query parameters every list takes. */
export const pageQuery = {
  cursor: {
    type: 'string',
    minLength: 1,
    maxLength: 200,
    description: 'nextCursor of the previous page, unchanged; absent for the first page',
  },
  limit: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_LIMIT,
    default: DEFAULT_LIMIT,
    description: `items per page (1 to ${MAX_LIMIT})`,
  },
} as const;

/**
 * The response schema of a list: `{<name>: [item...], nextCursor?}`, with an example page of `items` (the OpenAPI
 * document shows it) whose `nextCursor` is the one this API would give after the last of them, at `next`.
 */
export function pageSchema<const Name extends string, Item extends object>(
  name: Name,
  item: Item,
  example: { items: readonly object[]; next: Keyset },
) {
  return {
    type: 'object',
    properties: {
      [name]: { type: 'array', items: item },
      nextCursor: {
        type: 'string',
        description: 'Pass as `cursor` for the next page; absent on the last page.',
      },
    } as { [K in Name]: { type: 'array'; items: Item } } & {
      nextCursor: { type: 'string'; description: string };
    },
    required: [name],
    additionalProperties: false,
    examples: [{ [name]: example.items, nextCursor: encodeCursor(example.next) }],
  } as const;
}

const SEPARATOR = ' ';
// Years 0001-9999: JavaScript takes year 0000, PostgreSQL has none (1 BC is 0001 BC there) and would fail the query.
const TIME = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function encodeCursor(key: Keyset): string {
  return Buffer.from(`${key.createdAt}${SEPARATOR}${key.id}`, 'utf8').toString('base64url');
}

/** The key a cursor carries; 400 naming `cursor` when it is not one this API gave out. */
export function decodeCursor(cursor: string | undefined): Keyset | undefined {
  if (cursor === undefined) return undefined;
  const [createdAt = '', id = '', ...rest] = /^[A-Za-z0-9_-]+$/.test(cursor)
    ? Buffer.from(cursor, 'base64url').toString('utf8').split(SEPARATOR)
    : [];
  // A time PostgreSQL would refuse (month 13, 30 February) is caught by the round trip through Date.
  const valid =
    rest.length === 0 &&
    TIME.test(createdAt) &&
    UUID.test(id) &&
    !Number.isNaN(Date.parse(createdAt)) &&
    new Date(createdAt).toISOString().slice(0, 23) === createdAt.slice(0, 23);
  if (!valid) {
    throw new HttpError(
      400,
      'invalid_request',
      'cursor: not a cursor this API gave out; pass nextCursor of the previous page unchanged',
    );
  }
  return { createdAt, id };
}

/** A page as its answer: the items under their name, and the cursor of the next page when there is one. */
export function pageAnswer<const Name extends string, T, V>(
  name: Name,
  page: Page<T>,
  view: (item: T) => V,
): { [K in Name]: V[] } & { nextCursor?: string } {
  return {
    [name]: page.items.map(view),
    ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}),
  } as { [K in Name]: V[] } & { nextCursor?: string };
}

/** An object without its null and undefined fields (response schemas list them as optional, never null). */
export function withoutNulls<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v != null)) as {
    [K in keyof T]: Exclude<T[K], null>;
  };
}
