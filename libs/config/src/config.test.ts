import { coerceError } from './errors';
import { ConfigError, loadConfig, requireSetting } from './config';

describe('loadConfig', () => {
  it('applies defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.api.port).toBe(8080);
    expect(config.redis.prefix).toBe('shortlist');
    expect(config.embed.provider).toBe('cpu');
    expect(config.database.url).toBeUndefined();
    expect(config.s3.forcePathStyle).toBe(false);
  });

  it('reads and converts every section', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: 'test-1',
      S3_ENDPOINT: 'http://127.0.0.1:9100',
      S3_BUCKET: 'shortlist-docs',
      PORT: '9000',
      EMBED_PROVIDER: 'cuda',
      WORKER_CONCURRENCY: '8',
    });
    expect(config.database.url).toBe('postgres://u:p@127.0.0.1:5432/db');
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'test-1' });
    expect(config.s3.forcePathStyle).toBe(true);
    expect(config.s3.bucket).toBe('shortlist-docs');
    expect(config.api.port).toBe(9000);
    expect(config.embed.provider).toBe('cuda');
    expect(config.worker.concurrency).toBe(8);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).api.port).toBe(8080);
  });

  it.each([
    ['PORT', 'abc', 'PORT must be a TCP port (1-65535) (got "abc")'],
    ['PORT', '70000', 'PORT must be a TCP port'],
    ['DATABASE_URL', 'mysql://x', 'DATABASE_URL must be a postgres:// URL'],
    ['EMBED_PROVIDER', 'tpu', 'EMBED_PROVIDER must be cpu, cuda or webgpu (got "tpu")'],
    ['S3_BUCKET', 'Bad_Bucket', 'S3_BUCKET must be an S3 bucket name'],
    ['S3_FORCE_PATH_STYLE', 'maybe', 'S3_FORCE_PATH_STYLE must be true or false'],
  ])('rejects %s=%s with one line naming it', (name, value, message) => {
    const attempt = () => loadConfig({ [name]: value });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect(coerceError(error).message).not.toContain('\n');
    }
  });

  it('leaves the single-pass limit to the engine unless set, and reads the embedding limits', () => {
    expect(loadConfig({}).embed).toMatchObject({
      passTokens: undefined,
      passOverlap: undefined,
      maxDocumentTokens: undefined,
      batchTokens: 8192,
    });
    expect(
      loadConfig({ EMBED_PASS_TOKENS: '2048', EMBED_PASS_OVERLAP: '128', EMBED_MAX_DOCUMENT_TOKENS: '65536' })
        .embed,
    ).toMatchObject({ passTokens: 2048, passOverlap: 128, maxDocumentTokens: 65536 });
    expect(() => loadConfig({ EMBED_PASS_TOKENS: '9000' })).toThrow(
      'EMBED_PASS_TOKENS must be an integer 16-8192',
    );
  });

  it('refuses the renamed chunk variables instead of ignoring them', () => {
    expect(() => loadConfig({ EMBED_CHUNK_TOKENS: '512' })).toThrow(
      new ConfigError(
        'Configuration error: EMBED_CHUNK_TOKENS was replaced by EMBED_PASS_TOKENS (documents are now embedded in one pass up to it)',
      ),
    );
    expect(() => loadConfig({ EMBED_CHUNK_OVERLAP: '64' })).toThrow(
      'EMBED_CHUNK_OVERLAP was renamed EMBED_PASS_OVERLAP',
    );
  });

  it('names every wrong variable in the same line', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' })).toThrow(/PORT must .*; LOG_LEVEL must/);
  });
});

describe('loadConfig: secrets and sections', () => {
  it.each([
    ['DATABASE_URL', 'postgresql+psycopg://user:S3cretPassw0rd@db/x', 'S3cretPassw0rd'],
    ['REDIS_URL', 'http://:RedisPassw0rd@cache:6379', 'RedisPassw0rd'],
    ['ADMIN_TOKEN', 'Tiny-S3cret', 'Tiny-S3cret'],
    ['HF_ENDPOINT', 'ftp://user:HubT0ken@hub', 'HubT0ken'],
  ])('names a wrong %s without printing its value', (name, value, secret) => {
    const attempt = () => loadConfig({ [name]: value });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(`${name} must be`);
    expect(attempt).toThrow('the value is not shown: it may hold a secret');
    expect(attempt).not.toThrow(secret);
  });

  it('checks only the sections a process reads', () => {
    const env = {
      DATABASE_URL: 'postgres://u:p@db/x',
      ADMIN_TOKEN: 'short',
      PORT: 'x',
      EMBED_PROVIDER: 'tpu',
    };
    const config = loadConfig(env, ['database']);
    expect(config).toEqual({ database: { url: 'postgres://u:p@db/x' } });
    expect(() => loadConfig(env, ['database', 'api'])).toThrow(/PORT must .*; ADMIN_TOKEN must/);
    expect(() => loadConfig(env)).toThrow(/EMBED_PROVIDER must/);
  });

  it('refuses a SOURCE_ALLOWLIST that names S3_BUCKET, in one line', () => {
    const env = { S3_BUCKET: 'shortlist-docs', SOURCE_ALLOWLIST: 'client-a,shortlist-docs/in/' };
    expect(() => loadConfig(env, ['s3', 'ingest'])).toThrow(
      new ConfigError(
        "Configuration error: SOURCE_ALLOWLIST names S3_BUCKET (shortlist-docs), where Shortlist stores every tenant's " +
          "documents: a tenant could register another tenant's objects; allow only buckets of source documents",
      ),
    );
    expect(
      loadConfig({ ...env, SOURCE_ALLOWLIST: 'client-a' }, ['s3', 'ingest']).ingest.sourceAllowlist,
    ).toEqual([{ bucket: 'client-a', prefix: '' }]);
  });
});

describe('requireSetting', () => {
  it('returns a present value', () => {
    expect(requireSetting('x', 'DATABASE_URL')).toBe('x');
  });

  it('names the missing variable and how to get it', () => {
    expect(() => requireSetting(undefined, 'DATABASE_URL')).toThrow(
      'DATABASE_URL is not set; expected a postgres:// URL (run `npm run services`',
    );
  });
});
