import { coerceError, isUnavailable } from './errors';

/** Errors shaped as the libraries throw them (fields copied from node, pg, ioredis, BullMQ and the AWS SDK). */
const errno = (code: string, message = `connect ${code} 127.0.0.1:5432`) =>
  Object.assign(new Error(message), { code, errno: -111, syscall: 'connect' });
const pgError = (code: string, message: string) =>
  Object.assign(new Error(message), { code, severity: 'FATAL', length: 100 });
const named = (name: string, message: string) => Object.assign(new Error(message), { name });
const s3Error = (name: string, status: number) =>
  Object.assign(new Error(name), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, attempts: 3 },
  });

describe('isUnavailable: a backing service that cannot answer now, known by the kind of error', () => {
  it.each([
    ['a refused connection', errno('ECONNREFUSED')],
    ['a reset connection', errno('ECONNRESET', 'read ECONNRESET')],
    ['a timed-out connection', errno('ETIMEDOUT')],
    ['a broken pipe', errno('EPIPE', 'write EPIPE')],
    ['a host that does not resolve', errno('ENOTFOUND', 'getaddrinfo ENOTFOUND postgres')],
    ['a resolver that failed for now', errno('EAI_AGAIN', 'getaddrinfo EAI_AGAIN redis')],
    [
      'PostgreSQL shutting down (57P01)',
      pgError('57P01', 'terminating connection due to administrator command'),
    ],
    ['PostgreSQL starting up (57P03)', pgError('57P03', 'the database system is starting up')],
    ['a PostgreSQL connection failure (08006)', pgError('08006', 'connection failure')],
    ['PostgreSQL out of connections (53300)', pgError('53300', 'sorry, too many clients already')],
    ['PostgreSQL out of disk (53100)', pgError('53100', 'could not extend file: No space left on device')],
    ['node-postgres losing its connection', new Error('Connection terminated unexpectedly')],
    ['node-postgres pool timing out', new Error('timeout exceeded when trying to connect')],
    ['ioredis with its connection closed', new Error('Connection is closed.')],
    [
      'ioredis failing fast without an offline queue',
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
    ],
    [
      'ioredis out of retries',
      named(
        'MaxRetriesPerRequestError',
        'Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.',
      ),
    ],
    ['BullMQ with its connection closed', named('ConnectionClosedError', 'Connection is closed')],
    ['S3 failing (500)', s3Error('InternalError', 500)],
    ['S3 slowing us down (503)', s3Error('SlowDown', 503)],
    [
      'the AWS SDK timing out a socket',
      named('TimeoutError', 'Socket timed out without establishing a connection'),
    ],
  ])('%s', (_, error) => {
    expect(isUnavailable(error)).toBe(true);
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a constraint violation (23505)', pgError('23505', 'duplicate key value violates unique constraint')],
    ['a missing table (42P01)', pgError('42P01', 'relation "documents" does not exist')],
    ['a dropped database (57P04): retrying will not bring it back', pgError('57P04', 'database dropped')],
    ['wrong credentials (28P01)', pgError('28P01', 'password authentication failed')],
    ['a missing S3 object (404)', s3Error('NoSuchKey', 404)],
    ['S3 refusing access (403)', s3Error('AccessDenied', 403)],
    [
      'a message that merely mentions a code',
      new Error('the resume says ECONNREFUSED Connection terminated'),
    ],
    ['a file that is not there', errno('ENOENT', "ENOENT: no such file or directory, open 'x'")],
    ['a thrown string', 'ECONNREFUSED'],
    ['undefined', undefined],
    ['null', null],
  ])('not %s', (_, error) => {
    expect(isUnavailable(error)).toBe(false);
  });

  it('looks through causes: drizzle wraps the driver error, a fetch its socket error', () => {
    const drizzle = new Error('Failed query: select 1', {
      cause: pgError('57P01', 'terminating connection due to administrator command'),
    });
    expect(isUnavailable(drizzle)).toBe(true);
    const deep = new Error('outer', { cause: new Error('middle', { cause: errno('ECONNRESET') }) });
    expect(isUnavailable(deep)).toBe(true);
    expect(isUnavailable(new Error('outer', { cause: new Error('inner') }))).toBe(false);
  });

  it('looks into AggregateErrors: a connection tried on each address of a host', () => {
    const attempts = new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED', 'connect ::1:5432')]);
    expect(isUnavailable(attempts)).toBe(true);
    expect(isUnavailable(new AggregateError([new Error('a'), new Error('b')]))).toBe(false);
  });

  it('ends on a cause chain that loops', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(isUnavailable(a)).toBe(false);
  });
});

describe('coerceError: whatever was thrown, as an Error', () => {
  it('keeps an Error as it is', () => {
    const error = new RangeError('out of range');
    expect(coerceError(error)).toBe(error);
  });

  it('wraps anything else, keeping it as the cause', () => {
    expect(coerceError('plain text')).toMatchObject({ message: 'plain text', cause: 'plain text' });
    const fromThread = { message: 'model failed', kind: 'model' };
    expect(coerceError(fromThread)).toMatchObject({ message: 'model failed', cause: fromThread });
    expect(coerceError(undefined).message).toBe('undefined');
    expect(coerceError({ code: 7 }).message).toBe('[object Object]');
  });
});
