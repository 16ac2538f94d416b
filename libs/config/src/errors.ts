/**
 * Error kinds every process shares, recognised by what an error is (a class, an SQLSTATE, an errno code), never by
 * a pattern over its text. After graphile-worker's `coerceError` and BullMQ's `isNotConnectionError`.
 */

/** Whatever was thrown, as an Error: non-Errors (a string, a plain object from a worker thread) are wrapped. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  const message =
    typeof thrown === 'object' && thrown !== null && 'message' in thrown && typeof thrown.message === 'string'
      ? thrown.message
      : String(thrown);
  return new Error(message, { cause: thrown });
}

/** A document that cannot be embedded as given (no text, nothing but whitespace): a permanent failure. */
export class EmptyDocumentError extends Error {
  override readonly name = 'EmptyDocumentError';
}

/** Node's codes for a peer that cannot be reached or went away (net, dns, http). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * PostgreSQL SQLSTATEs of a server that cannot serve now: class 08 (connection exception), class 53 (insufficient
 * resources: disk full, out of memory, too many connections), and 57P01-57P03 (shutting down, crashed, starting up
 * or in recovery). 57P04 (database dropped) is not one: retrying will not bring it back.
 */
function isUnavailableSqlState(code: string): boolean {
  return /^(08|53)[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code);
}

/**
 * Libraries whose connection errors carry no code, only a fixed text: node-postgres (a connection that ended or
 * never came), ioredis (`CONNECTION_CLOSED_ERROR_MSG`, and the fail-fast API's refusal with no offline queue).
 * Compared whole, as BullMQ compares ioredis's, not searched for.
 */
const CONNECTION_LOST_MESSAGES = new Set([
  'Connection terminated',
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Connection is closed.',
  "Stream isn't writeable and enableOfflineQueue options is false",
]);

/**
 * Error classes of libraries that do not export them, known by their `name`: ioredis's request that ran out of
 * retries, BullMQ's closed connection, and the AWS SDK's socket timeout.
 */
const CONNECTION_ERROR_NAMES = new Set([
  'MaxRetriesPerRequestError',
  'ConnectionClosedError',
  'TimeoutError',
]);

interface ErrorFields {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
  /** AWS SDK: who is at fault, and the HTTP status of the answer. */
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function isUnavailableItself(e: ErrorFields): boolean {
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || isUnavailableSqlState(e.code))) return true;
  if (typeof e.message === 'string' && CONNECTION_LOST_MESSAGES.has(e.message)) return true;
  if (typeof e.name === 'string' && CONNECTION_ERROR_NAMES.has(e.name)) return true;
  // An S3 server error (5xx), as the AWS SDK's own retry strategy classifies it.
  const status = e.$metadata?.httpStatusCode;
  return e.$fault === 'server' || (typeof status === 'number' && status >= 500);
}

/**
 * Whether an error means a backing service (PostgreSQL, Redis, S3) is unreachable, restarting or out of resources,
 * so the same request may succeed shortly: the API answers 503 with Retry-After rather than 500. Looks through
 * `cause` chains (drizzle and the AWS SDK wrap the driver's error) and the members of an AggregateError (Node's
 * connection attempts to each address of a host).
 */
export function isUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null || seen.has(next)) continue;
    seen.add(next);
    const e = next as ErrorFields;
    if (isUnavailableItself(e)) return true;
    pending.push(e.cause);
    if (Array.isArray(e.errors)) pending.push(...(e.errors as unknown[]));
  }
  return false;
}
