import { z } from 'zod';
import { ExitCode, SetupError } from './process-exit';

/**
 * The one place that reads the environment. Every process (api, worker, cli) builds its configuration here,
 * once, at start; a wrong value stops it with one line naming the variable and what was expected.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().min(1);
const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  });

/** Each variable: its schema and, for the error line, what it expects. */
const variables = {
  DATABASE_URL: {
    section: 'database',
    secret: true,
    schema: url(['postgres:', 'postgresql:']).optional(),
    expected: 'a postgres:// URL',
  },
  REDIS_URL: {
    section: 'redis',
    secret: true,
    schema: url(['redis:', 'rediss:']).optional(),
    expected: 'a redis:// or rediss:// URL',
  },
  REDIS_PREFIX: {
    section: 'redis',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .default('shortlist'),
    expected: 'letters, digits, "_", "." or "-"',
  },
  S3_ENDPOINT: {
    section: 's3',
    secret: true,
    schema: url(['http:', 'https:']).optional(),
    expected: 'an http(s):// URL',
  },
  S3_BUCKET: {
    section: 's3',
    schema: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)
      .optional(),
    expected: 'an S3 bucket name (3-63 lower-case letters, digits, "." or "-")',
  },
  S3_REGION: {
    section: 's3',
    schema: z.string().min(1).default('us-east-1'),
    expected: 'an AWS region name',
  },
  S3_ACCESS_KEY_ID: {
    section: 's3',
    secret: true,
    schema: z.string().min(1).optional(),
    expected: 'an access key id',
  },
  S3_SECRET_ACCESS_KEY: {
    section: 's3',
    secret: true,
    schema: z.string().min(1).optional(),
    expected: 'a secret access key',
  },
  S3_FORCE_PATH_STYLE: { section: 's3', schema: bool.optional(), expected: 'true or false' },
  MODELS_DIR: {
    section: 'models',
    schema: z.string().min(1).default('models'),
    expected: 'a directory path',
  },
  HF_ENDPOINT: {
    section: 'models',
    secret: true,
    schema: url(['http:', 'https:']).default('https://huggingface.co'),
    expected: 'an http(s):// URL of a Hugging Face hub',
  },
  HF_TOKEN: {
    section: 'models',
    secret: true,
    schema: z.string().min(1).optional(),
    expected: 'a Hugging Face access token',
  },
  HF_STALL_SECONDS: {
    section: 'models',
    schema: positiveInt.default(30),
    expected: 'seconds (a positive integer) a model download may go without receiving a byte',
  },
  EMBED_PROVIDER: {
    section: 'embed',
    schema: z.enum(['cpu', 'cuda', 'webgpu']).default('cpu'),
    expected: 'cpu, cuda or webgpu',
  },
  EMBED_QUANTIZED: { section: 'embed', schema: bool.default(false), expected: 'true or false' },
  EMBED_THREADS: {
    section: 'embed',
    schema: z.coerce.number().int().min(0).max(256).default(0),
    expected: 'an integer 0-256 (0: automatic)',
  },
  EMBED_PASS_TOKENS: {
    section: 'embed',
    schema: z.coerce.number().int().min(16).max(8192).optional(),
    expected: 'an integer 16-8192 (most tokens embedded in one pass; longer documents go in windows)',
  },
  EMBED_PASS_OVERLAP: {
    section: 'embed',
    schema: z.coerce.number().int().min(0).max(4096).optional(),
    expected: 'an integer 0-4096 (tokens shared by consecutive windows)',
  },
  EMBED_MAX_DOCUMENT_TOKENS: {
    section: 'embed',
    schema: z.coerce.number().int().min(16).max(1_048_576).optional(),
    expected: "an integer 16-1048576 (most tokens of a document's text embedded)",
  },
  EMBED_BATCH_TOKENS: {
    section: 'embed',
    schema: z.coerce.number().int().min(16).max(1_048_576).default(8192),
    expected: 'an integer 16-1048576 (tokens per batch, padding included)',
  },
  PORT: { section: 'api', schema: port.default(8080), expected: 'a TCP port (1-65535)' },
  METRICS_PORT: {
    section: 'api',
    schema: port.optional(),
    expected: "a TCP port (1-65535) for the API's /metrics, apart from PORT",
  },
  HOST: {
    section: ['api', 'worker'],
    schema: z.string().min(1).default('0.0.0.0'),
    expected: 'a host name or address',
  },
  LOG_LEVEL: {
    section: 'log',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    expected: 'fatal, error, warn, info, debug, trace or silent',
  },
  WORKER_CONCURRENCY: {
    section: 'worker',
    schema: positiveInt.default(32),
    expected: 'a positive integer (embed jobs in flight per worker: they share batches)',
  },
  EXTRACT_CONCURRENCY: { section: 'worker', schema: positiveInt.default(2), expected: 'a positive integer' },
  EXTRACT_TIMEOUT_MS: {
    section: 'extract',
    schema: positiveInt.default(30_000),
    expected: 'milliseconds (a positive integer)',
  },
  EXTRACT_MEMORY_MB: {
    section: 'extract',
    schema: z.coerce.number().int().min(64).default(512),
    expected: 'megabytes, at least 64',
  },
  MAX_DOCUMENT_BYTES: {
    section: 'ingest',
    schema: positiveInt.default(20 * 1024 * 1024),
    expected: 'bytes (a positive integer): the largest document accepted',
  },
  BODY_READ_TIMEOUT_SECONDS: {
    section: 'ingest',
    schema: positiveInt.default(30),
    expected:
      'seconds (a positive integer) an upload may send nothing before it is answered 400 and its connection closed',
  },
  SOURCE_ALLOWLIST: {
    section: 'ingest',
    schema: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^,]*)?(,[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^,]*)?)*$/)
      .optional(),
    expected: 'comma-separated bucket or bucket/prefix/ entries',
  },
  SWEEP_STALE_SECONDS: {
    section: 'worker',
    schema: positiveInt.default(120),
    expected: 'seconds (a positive integer) after which a document stuck in a stage is re-enqueued',
  },
  ADMIN_TOKEN: {
    section: 'api',
    secret: true,
    schema: z.string().min(16).optional(),
    expected: 'at least 16 characters (the password of the /admin/queues dashboard)',
  },
  NIGHTLY_CRON: {
    section: 'worker',
    schema: z
      .string()
      .regex(/^(off|(\S+\s+){4}\S+)$/)
      .default('0 2 * * *'),
    expected: 'a five-field cron expression (UTC), or off',
  },
  SCREENING_WAIT_SECONDS: {
    section: 'worker',
    schema: positiveInt.default(900),
    expected:
      'seconds (a positive integer) a screening waits for its documents before listing them as pending',
  },
  WORKER_HEALTH_PORT: { section: 'worker', schema: port.optional(), expected: 'a TCP port (1-65535)' },
  WORKER_LOCK_SECONDS: {
    section: 'worker',
    schema: positiveInt.default(30),
    expected: "seconds (a positive integer): how soon a crashed worker's jobs are taken over",
  },
  WORKER_DRAIN_SECONDS: {
    section: 'worker',
    schema: positiveInt.optional(),
    expected:
      'seconds (a positive integer) a stopping worker gives the jobs in hand before leaving them to others',
  },
  WEBHOOK_ALLOWLIST: {
    section: 'webhooks',
    schema: z
      .string()
      .regex(/^[^\s,]+(,[^\s,]+)*$/)
      .optional(),
    expected:
      'comma-separated host names, IP addresses or CIDR ranges webhooks may be delivered to (unset: public addresses only)',
  },
  WEBHOOK_ATTEMPTS: {
    section: 'webhooks',
    schema: z.coerce.number().int().min(1).max(30).default(8),
    expected: 'an integer 1-30 (attempts of each webhook delivery)',
  },
  WEBHOOK_BACKOFF_SECONDS: {
    section: 'webhooks',
    schema: positiveInt.default(10),
    expected:
      'seconds (a positive integer) before the second attempt of a delivery; doubled after each failure',
  },
  WEBHOOK_DISABLE_AFTER: {
    section: 'webhooks',
    schema: positiveInt.default(5),
    expected: 'a positive integer (failed deliveries in a row that disable an endpoint)',
  },
  WEBHOOK_TIMEOUT_SECONDS: {
    section: 'webhooks',
    schema: positiveInt.default(10),
    expected: 'seconds (a positive integer) a receiver has to answer',
  },
  WEBHOOK_RETENTION_DAYS: {
    section: 'webhooks',
    schema: positiveInt.default(30),
    expected: 'days (a positive integer) a finished delivery and its attempts stay listable',
  },
} as const;

type Variables = typeof variables;
type VariableName = keyof Variables;
type Parsed = { [K in VariableName]: z.infer<Variables[K]['schema']> };

export interface Config {
  database: { url: string | undefined };
  redis: { url: string | undefined; prefix: string };
  s3: {
    endpoint: string | undefined;
    bucket: string | undefined;
    region: string;
    accessKeyId: string | undefined;
    secretAccessKey: string | undefined;
    forcePathStyle: boolean;
  };
  models: { dir: string; hubEndpoint: string; hubToken: string | undefined; hubStallSeconds: number };
  embed: {
    provider: 'cpu' | 'cuda' | 'webgpu';
    quantized: boolean;
    threads: number;
    /** Single-pass limit; undefined: the engine's default for the provider (4,096 on CPU, the context on GPU). */
    passTokens: number | undefined;
    passOverlap: number | undefined;
    /** Most tokens of a document embedded; undefined: the engine's default (16,384). */
    maxDocumentTokens: number | undefined;
    batchTokens: number;
  };
  api: {
    host: string;
    port: number;
    /** Password of the queue dashboard (HTTP basic auth); unset, the dashboard is off. */
    adminToken: string | undefined;
    /** Port of /metrics (all tenants' counts), kept off the public PORT; unset, /metrics is not served. */
    metricsPort: number | undefined;
  };
  worker: {
    /** Address of the worker's /healthz and /metrics listener (HOST). */
    host: string;
    concurrency: number;
    extractConcurrency: number;
    sweepStaleSeconds: number;
    healthPort: number | undefined;
    lockSeconds: number;
    /** SIGTERM: how long the jobs in hand may take before they are left to other workers (default: lockSeconds). */
    drainSeconds: number;
    screeningWaitSeconds: number;
    /** UTC cron of the nightly re-score; undefined: off. */
    nightlyCron: string | undefined;
  };
  extract: { timeoutMs: number; memoryMb: number };
  ingest: {
    maxDocumentBytes: number;
    /** How long an upload's body may stall (no bytes arriving) before it is refused and its socket freed. */
    bodyReadTimeoutMs: number;
    /** Buckets (and optional key prefixes) whose objects may be registered by reference. */
    sourceAllowlist: { bucket: string; prefix: string }[];
  };
  webhooks: {
    /** Host names, addresses and CIDR ranges deliveries may go to; empty: any public address. */
    allowlist: string[];
    attempts: number;
    backoffSeconds: number;
    disableAfter: number;
    timeoutSeconds: number;
    /** Days a finished delivery (and its attempts and events) is kept; the nightly job removes older ones. */
    retentionDays: number;
  };
  log: { level: Parsed['LOG_LEVEL'] };
}

/** A configuration problem, already phrased as the one line the user sees. */
export class ConfigError extends SetupError {
  override readonly name = 'ConfigError';
  readonly exitCode = ExitCode.config;
}

/** Variables that were renamed: setting the old name is an error, never silently ignored. */
const renamed: Record<string, string> = {
  EMBED_CHUNK_TOKENS:
    'EMBED_CHUNK_TOKENS was replaced by EMBED_PASS_TOKENS (documents are now embedded in one pass up to it)',
  EMBED_CHUNK_OVERLAP: 'EMBED_CHUNK_OVERLAP was renamed EMBED_PASS_OVERLAP',
};

/** A part of the configuration; a process loads the sections it reads, and only their variables are checked. */
export type ConfigSection = keyof Config;

/** Builds each section from the parsed variables of that section (and of no other). */
const sectionBuilders: { [S in ConfigSection]: (e: Parsed) => Config[S] } = {
  database: (e) => ({ url: e.DATABASE_URL }),
  redis: (e) => ({ url: e.REDIS_URL, prefix: e.REDIS_PREFIX }),
  s3: (e) => ({
    endpoint: e.S3_ENDPOINT,
    bucket: e.S3_BUCKET,
    region: e.S3_REGION,
    accessKeyId: e.S3_ACCESS_KEY_ID,
    secretAccessKey: e.S3_SECRET_ACCESS_KEY,
    // Self-hosted S3 servers (MinIO, s3rver) need path-style addressing; AWS itself prefers virtual hosts.
    forcePathStyle: e.S3_FORCE_PATH_STYLE ?? e.S3_ENDPOINT !== undefined,
  }),
  models: (e) => ({
    dir: e.MODELS_DIR,
    hubEndpoint: e.HF_ENDPOINT.replace(/\/+$/, ''),
    hubToken: e.HF_TOKEN,
    hubStallSeconds: e.HF_STALL_SECONDS,
  }),
  embed: (e) => ({
    provider: e.EMBED_PROVIDER,
    quantized: e.EMBED_QUANTIZED,
    threads: e.EMBED_THREADS,
    passTokens: e.EMBED_PASS_TOKENS,
    passOverlap: e.EMBED_PASS_OVERLAP,
    maxDocumentTokens: e.EMBED_MAX_DOCUMENT_TOKENS,
    batchTokens: e.EMBED_BATCH_TOKENS,
  }),
  api: (e) => ({ host: e.HOST, port: e.PORT, adminToken: e.ADMIN_TOKEN, metricsPort: e.METRICS_PORT }),
  worker: (e) => ({
    host: e.HOST,
    concurrency: e.WORKER_CONCURRENCY,
    extractConcurrency: e.EXTRACT_CONCURRENCY,
    sweepStaleSeconds: e.SWEEP_STALE_SECONDS,
    healthPort: e.WORKER_HEALTH_PORT,
    lockSeconds: e.WORKER_LOCK_SECONDS,
    drainSeconds: e.WORKER_DRAIN_SECONDS ?? e.WORKER_LOCK_SECONDS,
    screeningWaitSeconds: e.SCREENING_WAIT_SECONDS,
    nightlyCron: e.NIGHTLY_CRON === 'off' ? undefined : e.NIGHTLY_CRON,
  }),
  extract: (e) => ({ timeoutMs: e.EXTRACT_TIMEOUT_MS, memoryMb: e.EXTRACT_MEMORY_MB }),
  ingest: (e) => ({
    maxDocumentBytes: e.MAX_DOCUMENT_BYTES,
    bodyReadTimeoutMs: e.BODY_READ_TIMEOUT_SECONDS * 1000,
    sourceAllowlist: (e.SOURCE_ALLOWLIST ?? '').split(',').flatMap((entry) => {
      if (!entry) return [];
      const slash = entry.indexOf('/');
      return slash < 0
        ? [{ bucket: entry, prefix: '' }]
        : [{ bucket: entry.slice(0, slash), prefix: entry.slice(slash + 1) }];
    }),
  }),
  webhooks: (e) => ({
    allowlist: (e.WEBHOOK_ALLOWLIST ?? '').split(',').filter(Boolean),
    attempts: e.WEBHOOK_ATTEMPTS,
    backoffSeconds: e.WEBHOOK_BACKOFF_SECONDS,
    disableAfter: e.WEBHOOK_DISABLE_AFTER,
    timeoutSeconds: e.WEBHOOK_TIMEOUT_SECONDS,
    retentionDays: e.WEBHOOK_RETENTION_DAYS,
  }),
  log: (e) => ({ level: e.LOG_LEVEL }),
};

const ALL_SECTIONS = Object.keys(sectionBuilders) as ConfigSection[];

/**
 * Reads the environment into the configuration. With `sections`, only those sections are built and only their
 * variables checked: a process validates what it reads (`npm run migrate` does not care about ADMIN_TOKEN). A wrong
 * value stops the process with one line naming every wrong variable; values of secrets (URLs that may carry a
 * password, keys, tokens) are never printed.
 */
export function loadConfig(env?: NodeJS.ProcessEnv): Config;
export function loadConfig<S extends ConfigSection>(
  env: NodeJS.ProcessEnv | undefined,
  sections: readonly S[],
): Pick<Config, S>;
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  sections: readonly ConfigSection[] = ALL_SECTIONS,
): Partial<Config> {
  const stale = Object.keys(renamed).filter((name) => env[name] !== undefined && env[name] !== '');
  if (stale.length > 0) {
    throw new ConfigError(`Configuration error: ${stale.map((name) => renamed[name]).join('; ')}`);
  }
  const wanted = new Set<string>(sections);
  const names = (Object.keys(variables) as VariableName[]).filter((name) =>
    ([] as string[]).concat(variables[name].section).some((section) => wanted.has(section)),
  );
  const parsed: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const name of names) {
    const variable: { schema: z.ZodType; expected: string; secret?: boolean } = variables[name];
    // An empty variable is treated as unset, as shells and compose files often leave them empty.
    const raw = env[name] === undefined || env[name] === '' ? undefined : env[name].trim();
    const result = variable.schema.safeParse(raw);
    if (result.success) parsed[name] = result.data;
    else
      problems.push(
        `${name} must be ${variable.expected} (${
          variable.secret ? 'the value is not shown: it may hold a secret' : `got ${JSON.stringify(raw)}`
        })`,
      );
  }
  if (problems.length > 0) throw new ConfigError(`Configuration error: ${problems.join('; ')}`);
  const e = parsed as Parsed;
  const config: Partial<Config> = {};
  for (const section of sections) {
    (config as Record<ConfigSection, unknown>)[section] = sectionBuilders[section](e);
  }
  if (config.s3 && config.ingest) refuseOwnBucketAsSource(config.s3, config.ingest);
  return config;
}

/** The sections a process reads, from process.env: `loadSections(['database'])`. */
export function loadSections<S extends ConfigSection>(
  sections: readonly S[],
  env: NodeJS.ProcessEnv = process.env,
): Pick<Config, S> {
  return loadConfig(env, sections);
}

/**
 * SOURCE_ALLOWLIST lets tenants register objects by reference. S3_BUCKET holds every tenant's documents: allowing it
 * would let one tenant register (and read) another's.
 */
function refuseOwnBucketAsSource(s3: Config['s3'], ingest: Config['ingest']): void {
  if (s3.bucket !== undefined && ingest.sourceAllowlist.some((entry) => entry.bucket === s3.bucket)) {
    throw new ConfigError(
      `Configuration error: SOURCE_ALLOWLIST names S3_BUCKET (${s3.bucket}), where Shortlist stores every tenant's ` +
        "documents: a tenant could register another tenant's objects; allow only buckets of source documents",
    );
  }
}

const requirementHints: Partial<Record<VariableName, string>> = {
  DATABASE_URL: 'run `npm run services` and use the DATABASE_URL it prints',
  REDIS_URL: 'run `npm run services` and use the REDIS_URL it prints',
  S3_BUCKET: 'set it to the bucket that holds uploaded documents',
};

/** A setting that this process cannot run without; the error names the variable and how to get a value. */
export function requireSetting<T>(value: T | undefined, name: VariableName): T {
  if (value === undefined) {
    const hint = requirementHints[name];
    throw new ConfigError(
      `Configuration error: ${name} is not set; expected ${variables[name].expected}${hint ? ` (${hint})` : ''}`,
    );
  }
  return value;
}
