import { DrizzleQueryError } from 'drizzle-orm';
import { DatabaseSetupError, describeDatabaseError, withoutQueryParameters } from './errors';

const url = 'postgres://u:secret@db.internal:5433/shortlist';

describe('describeDatabaseError', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, 'PostgreSQL is not reachable at db.internal:5433/shortlist'],
    [{ code: '28P01', message: 'password authentication failed' }, 'refused the credentials'],
    [{ code: '3D000' }, 'database db.internal:5433/shortlist does not exist'],
    [
      {
        message: 'Failed query: CREATE EXTENSION',
        cause: { code: '0A000', message: 'extension "vector" is not available' },
      },
      'has no pgvector extension',
    ],
    [{ message: 'pgvector 0.7.0 is installed; Shortlist needs 0.8 or newer' }, 'Shortlist needs 0.8'],
  ])('turns %j into one clear line', (raw, expected) => {
    const error = describeDatabaseError(
      Object.assign(new Error((raw as { message?: string }).message ?? ''), raw),
      url,
    );
    expect(error).toBeInstanceOf(DatabaseSetupError);
    expect(error.message).toContain(expected);
    expect(error.message).not.toContain('secret');
    expect(error.message).not.toContain('\n');
  });

  it('leaves other errors as they are', () => {
    const original = new Error('syntax error at or near "SELEC"');
    expect(describeDatabaseError(original, url)).toBe(original);
  });
});

describe('withoutQueryParameters', () => {
  it("keeps a failed query's statement and PostgreSQL's error, never its parameters", () => {
    const cause = Object.assign(
      new Error('insert or update on table "document_texts" violates foreign key'),
      {
        code: '23503',
      },
    );
    const failed = new DrizzleQueryError(
      'insert into "document_texts" ("document_id", "text") values ($1, $2)',
      ['4e434a91', 'Jane Doe, 17 Elm Street, jane@example.com: the whole resume'],
      cause,
    );
    expect(failed.message).toContain('Jane Doe'); // what drizzle would have logged
    const redacted = withoutQueryParameters(failed) as Error;
    expect(redacted.message).toBe(
      'insert or update on table "document_texts" violates foreign key (query: insert into "document_texts" ("document_id", "text") values ($1, $2))',
    );
    expect(redacted.cause).toBe(cause);
    expect(JSON.stringify({ message: redacted.message, stack: redacted.stack })).not.toContain('Jane Doe');
  });

  it('leaves any other error as it is', () => {
    const other = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    expect(withoutQueryParameters(other)).toBe(other);
  });
});
