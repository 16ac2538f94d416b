import { DatabaseSetupError, describeDatabaseError } from './errors';

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
