import { ExitCode, SetupError } from '@shortlist/config';
import { DrizzleQueryError } from 'drizzle-orm';
/**
 * A database that cannot be used as it is (unreachable, wrong credentials, no pgvector), phrased as the one line
 * the operator sees, with the fix.
 */
export class DatabaseSetupError extends SetupError {
  override readonly name = 'DatabaseSetupError';
  readonly exitCode = ExitCode.unavailable;
}

interface PgError {
  code?: string;
  message?: string;
}

function where(url: string | undefined): string {
  if (!url) return 'the database';
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}/${u.pathname.slice(1)}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** Turns a connection or migration failure into a DatabaseSetupError when it is a known setup problem. */
export function describeDatabaseError(error: unknown, url?: string): Error {
  if (error instanceof DatabaseSetupError) return error;
  const e = (error ?? {}) as PgError;
  const target = where(url);
  const cause = (error as { cause?: PgError } | undefined)?.cause;
  const message = `${e.message ?? ''} ${cause?.message ?? ''}`;
  switch (e.code ?? cause?.code) {
    case 'ECONNREFUSED':
      return new DatabaseSetupError(
        `PostgreSQL is not reachable at ${target} (connection refused): start it, e.g. with \`npm run services\``,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new DatabaseSetupError(`PostgreSQL host of ${target} cannot be resolved: check DATABASE_URL`);
    case '28P01':
    case '28000':
      return new DatabaseSetupError(`PostgreSQL refused the credentials in DATABASE_URL for ${target}`);
    case '3D000':
      return new DatabaseSetupError(`database ${target} does not exist: create it or fix DATABASE_URL`);
    default:
      break;
  }
  if (/extension "vector"|vector\.control|type "vector" does not exist/.test(message)) {
    return new DatabaseSetupError(
      `PostgreSQL at ${target} has no pgvector extension: install pgvector >= 0.8 (\`npm run services\` builds it on Debian) or use the pgvector/pgvector image`,
    );
  }
  if (/pgvector .* Shortlist needs 0\.8/.test(message)) {
    return new DatabaseSetupError(`PostgreSQL at ${target}: ${e.message ?? message.trim()}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * A failed query's error without the query's parameters. drizzle's message lists them — a document's whole text,
 * a webhook's new secret — and a message is logged, and kept by the queue as the job's failure: the query itself
 * and PostgreSQL's own error (the cause, with its code) stay. Other errors are returned as they are.
 */
export function withoutQueryParameters(error: unknown): unknown {
  if (!(error instanceof DrizzleQueryError)) return error;
  const cause: unknown = error.cause;
  const reason = cause instanceof Error ? cause.message : 'the query failed';
  const query = error.query.length > 300 ? `${error.query.slice(0, 300)}...` : error.query;
  return new Error(`${reason} (query: ${query})`, { cause });
}

/** PostgreSQL's own error under a failed query (on PostgreSQL or PGlite, wrapped by drizzle or not): its SQLSTATE
 * and the constraint it names. */
export function postgresError(error: unknown): { code: string; constraint?: string } | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
      const constraint = (e as { constraint?: unknown }).constraint;
      return { code: e.code, ...(typeof constraint === 'string' ? { constraint } : {}) };
    }
  }
  return undefined;
}
